"""Per-example attention for packed training rows.

A packed row holds several examples end to end. transformers' SDPA path gives such a row a dense
block-diagonal causal mask (T x T), and the CPU kernel then computes every block, masked or not: with k
equal-length examples in a row, (k - 1) / k of the attention work falls in masked blocks. Here each example
gets its own causal attention instead. On the CPU, short examples (up to SHORT_CPU tokens) go through plain
matmul + softmax (grouped query heads, no repeated keys), because the flash kernel's fixed cost per call
outweighs its gain on them; longer examples take the causal SDPA kernel. Same numbers as the masked path up
to rounding (tests compare logits and gradients).

Used only while training (`packed_attention(model)` swaps the implementation and puts the old one back);
generation with a cache, a padding mask or batch > 1 falls through to plain SDPA.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator

import torch
from transformers import AttentionInterface, PretrainedConfig, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward

NAME = "lift_packed_sdpa"
SHORT_CPU = 384  # plain math up to this many tokens on the CPU, the flash kernel above


def example_bounds(position_ids: torch.Tensor) -> list[int]:
    """Start offsets of the examples in a packed row (position ids restart at 0 for each), plus its length."""
    restarts = torch.nonzero(position_ids[1:] != position_ids[:-1] + 1).flatten() + 1
    return [0, *restarts.tolist(), int(position_ids.shape[0])]


def packed_sdpa_forward(
    module: torch.nn.Module,
    query: torch.Tensor,  # (1, heads, T, head_dim)
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    position_ids: torch.Tensor | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    plain = (
        attention_mask is not None
        or position_ids is None
        or query.shape[0] != 1
        or query.shape[2] != key.shape[2]  # a cache: keys from earlier steps
    )
    if plain:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    bounds = example_bounds(position_ids[0])
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    parts = []
    for a, b in itertools.pairwise(bounds):
        q, k, v = query[:, :, a:b], key[:, :, a:b], value[:, :, a:b]
        if query.device.type == "cpu" and b - a <= SHORT_CPU and dropout == 0.0:
            parts.append(_causal_math(q, k, v, scale))
        else:
            parts.append(sdpa_attention_forward(module, q, k, v, None, dropout, scale, is_causal=True, **kwargs)[0])
    return (parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)), None  # (1, T, heads, head_dim)


def _causal_math(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float) -> torch.Tensor:
    """Causal attention of one sequence by matmul + softmax (in fp32, as transformers' eager path). Query
    head h reads key/value head h // group: the group's query rows are stacked so each key head is used once."""
    _, heads, n, dim = query.shape
    kv_heads = key.shape[1]
    group = heads // kv_heads
    scores = (query.reshape(1, kv_heads, group * n, dim) @ key.transpose(-1, -2)) * scale
    future = torch.ones(n, n, dtype=torch.bool, device=query.device).triu(1)
    scores = scores.view(1, kv_heads, group, n, n).masked_fill(future, float("-inf"))
    weights = scores.softmax(dim=-1, dtype=torch.float32).to(value.dtype).view(1, kv_heads, group * n, n)
    return (weights @ value).view(1, heads, n, dim).transpose(1, 2)


AttentionInterface.register(NAME, packed_sdpa_forward)


@contextlib.contextmanager
def packed_attention(model: PreTrainedModel, enabled: bool = True) -> Iterator[None]:
    """Per-example attention inside the block for models on the SDPA path (the Llama family and most
    others); any other implementation (eager, flash, flex) is left alone."""
    configs = {id(c): c for m in model.modules() if isinstance(c := getattr(m, "config", None), PretrainedConfig)}
    swapped = [c for c in configs.values() if enabled and c._attn_implementation == "sdpa"]
    for config in swapped:
        config._attn_implementation = NAME
    try:
        yield
    finally:
        for config in swapped:
            config._attn_implementation = "sdpa"
