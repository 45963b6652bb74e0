"""Gated Memory (LIFT 2024 paper §3.4) around one Llama attention layer.

For every query head h, from the head's query q (before the rotary embedding):

    g_h(q) = sigmoid(w2 . silu(W1 q + b1) + b2)      gate in (0, 1)          q in R^d -> R
    m_h(q) = V2 silu(V1 q + c1) + c2                  memory                  q in R^d -> R^d

and the head's attention output becomes (1 - g) * attention + g * memory, before the output projection.
The attention itself (q/k/v/o projections, rotary, the attention kernel) is the base layer's, frozen; the MLP
blocks of the model are untouched. The per-head MLPs are batched as (heads, in, out) tensors.
"""

from __future__ import annotations

import math
import sys

import torch
import torch.nn.functional as F
from torch import nn
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS


class GatedMemoryAttention(nn.Module):
    def __init__(self, attention: nn.Module, memory_hidden: int, gate_hidden: int, gate_init_bias: float) -> None:
        super().__init__()
        self.attention = attention
        heads, dim = attention.config.num_attention_heads, attention.head_dim
        weight = attention.q_proj.weight
        factory = {"device": weight.device, "dtype": torch.float32}
        self.memory_in = nn.Parameter(torch.randn(heads, dim, memory_hidden, **factory) / math.sqrt(dim))
        self.memory_in_bias = nn.Parameter(torch.zeros(heads, memory_hidden, **factory))
        self.memory_out = nn.Parameter(torch.randn(heads, memory_hidden, dim, **factory) / math.sqrt(memory_hidden))
        self.memory_out_bias = nn.Parameter(torch.zeros(heads, dim, **factory))
        self.gate_in = nn.Parameter(torch.randn(heads, dim, gate_hidden, **factory) / math.sqrt(dim))
        self.gate_in_bias = nn.Parameter(torch.zeros(heads, gate_hidden, **factory))
        self.gate_out = nn.Parameter(torch.randn(heads, gate_hidden, **factory) / math.sqrt(gate_hidden))
        self.gate_out_bias = nn.Parameter(torch.full((heads,), float(gate_init_bias), **factory))
        self.enabled = True
        # the attention code of the model's own family (rotary and eager attention live in its module)
        family = sys.modules[type(attention).__module__]
        self._apply_rotary = family.apply_rotary_pos_emb
        self._eager_attention = family.eager_attention_forward

    def gate_and_memory(self, query: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """query (batch, tokens, heads, dim) -> gate (batch, tokens, heads, 1), memory (batch, tokens, heads, dim)."""
        dtype = query.dtype
        hidden = F.silu(torch.einsum("bthd,hde->bthe", query, self.memory_in.to(dtype)) + self.memory_in_bias.to(dtype))
        memory = torch.einsum("bthe,hed->bthd", hidden, self.memory_out.to(dtype)) + self.memory_out_bias.to(dtype)
        gate_hidden = F.silu(
            torch.einsum("bthd,hde->bthe", query, self.gate_in.to(dtype)) + self.gate_in_bias.to(dtype)
        )
        gate_logit = torch.einsum("bthe,he->bth", gate_hidden, self.gate_out.to(dtype)) + self.gate_out_bias.to(dtype)
        return torch.sigmoid(gate_logit).unsqueeze(-1), memory

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_embeddings: tuple[torch.Tensor, torch.Tensor] | None = None,
        attention_mask: torch.Tensor | None = None,
        cache=None,
        past_key_values=None,
        **kwargs,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        # LlamaAttention.forward of transformers 5, with the gated mix before o_proj
        a = self.attention
        cache = cache if cache is not None else past_key_values
        input_shape = hidden_states.shape[:-1]
        hidden_shape = (*input_shape, -1, a.head_dim)
        query = a.q_proj(hidden_states).view(hidden_shape)
        query_states = query.transpose(1, 2)
        key_states = a.k_proj(hidden_states).view(hidden_shape).transpose(1, 2)
        value_states = a.v_proj(hidden_states).view(hidden_shape).transpose(1, 2)
        cos, sin = position_embeddings
        query_states, key_states = self._apply_rotary(query_states, key_states, cos, sin)
        if cache is not None:
            key_states, value_states = cache.update(key_states, value_states, a.layer_idx, kwargs=kwargs)
        attention_interface = ALL_ATTENTION_FUNCTIONS.get_interface(
            a.config._attn_implementation, self._eager_attention
        )
        attn_output, attn_weights = attention_interface(
            a,
            query_states,
            key_states,
            value_states,
            attention_mask,
            dropout=0.0 if not self.training else a.attention_dropout,
            scaling=a.scaling,
            **kwargs,
        )
        if self.enabled:  # attn_output: (batch, tokens, heads, dim); the query before rotary, same layout
            gate, memory = self.gate_and_memory(query)
            attn_output = (1 - gate) * attn_output + gate * memory.to(attn_output.dtype)
        attn_output = attn_output.reshape(*input_shape, -1).contiguous()
        return a.o_proj(attn_output), attn_weights
