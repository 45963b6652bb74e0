"""Per-example attention for packed training rows.

A packed row holds several examples end to end. transformers' SDPA path gives such a row a dense
block-diagonal causal mask (T x T), and the CPU kernel then computes every block, masked or not: with k
equal-length examples in a row, (k - 1) / k of the attention work falls in masked blocks. Here each example
gets only its own causal attention, by one of three kernels (train.packed_kernel):
- loop: one call per example. On the CPU, short examples (up to SHORT_CPU tokens) go through plain
  matmul + softmax (grouped query heads, no repeated keys), because the flash kernel's fixed cost per call
  outweighs its gain on them; longer examples take the causal SDPA kernel. The CPU's choice: on a GPU each
  call costs more host time than the GPU spends on it.
- varlen: one flash-attention call over the row's examples as variable-length sequences (CUDA, bf16/fp16).
- block_mask: one SDPA call over the row with the block-diagonal causal mask (any device, any dtype).
Same numbers as the masked path up to rounding (tests compare logits and gradients).

The row's layout (PackedRow) is computed once per step on the host from the position ids and passed down
through the model's keyword arguments, so no layer reads anything back from the device.

Used only while training (`packed_attention(model)` swaps the implementation and puts the old one back);
generation with a cache, a padding mask or batch > 1 falls through to plain SDPA.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from transformers import AttentionInterface, PretrainedConfig, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward

from lift.config import PACKED_KERNELS
from lift.errors import LiftError

NAME = "lift_packed_sdpa"
SHORT_CPU = 384  # plain math up to this many tokens on the CPU, the flash kernel above
ROW_KWARG = "lift_packed_row"  # the model keyword that carries a PackedRow down to the attention layers


def example_bounds(position_ids: torch.Tensor) -> list[int]:
    """Start offsets of the examples in a packed row (position ids restart at 0 for each), plus its length."""
    restarts = torch.nonzero(position_ids[1:] != position_ids[:-1] + 1).flatten() + 1
    return [0, *restarts.tolist(), int(position_ids.shape[0])]


@dataclass
class PackedRow:
    """Where the examples of a packed row start and end, and the kernel that attends within them.

    An example whose position ids start at p > 0 continues the row's first p tokens: it attends to them as well
    as to itself (a prefix shared by several examples, computed once: the teacher's document chunk). Training
    rows start every example at 0."""

    bounds: list[int]  # example starts, then the row length (example_bounds)
    kernel: str  # loop | varlen | block_mask
    device: torch.device
    prefixes: tuple[int, ...] | None = None  # per example: the row tokens before it that it reads; None: none
    # A frozen reading every example continues: per layer, the keys and values of a document cut the model read
    # once (adapter off, no gradient); each example reads all of it, then itself causally. None: none.
    reading: list[tuple[torch.Tensor, torch.Tensor]] | None = None
    _cu_seqlens: torch.Tensor | None = None
    _block_mask: torch.Tensor | None = None

    @property
    def max_length(self) -> int:
        return max(b - a for a, b in itertools.pairwise(self.bounds))

    def cu_seqlens(self) -> torch.Tensor:
        if self._cu_seqlens is None:  # built once per step, shared by every layer
            self._cu_seqlens = torch.tensor(self.bounds, dtype=torch.int32).to(self.device, non_blocking=True)
        return self._cu_seqlens

    def block_mask(self) -> torch.Tensor:
        """(1, 1, T, T) boolean: True where a token may attend (same example, not in the future)."""
        if self._block_mask is None:
            lengths = torch.tensor([b - a for a, b in itertools.pairwise(self.bounds)])
            example = torch.repeat_interleave(torch.arange(len(lengths)), lengths).to(self.device, non_blocking=True)
            length = self.bounds[-1]
            causal = torch.ones(length, length, dtype=torch.bool, device=self.device).tril()
            mask = (example[:, None] == example[None, :]) & causal
            if self.prefixes:
                reads = torch.tensor(self.prefixes).to(self.device, non_blocking=True)[example]
                mask |= torch.arange(length, device=self.device)[None, :] < reads[:, None]
            self._block_mask = mask[None, None]
        return self._block_mask


def resolve_kernel(name: str, device: torch.device) -> str:
    """The packed-attention kernel for a device: auto is loop on the CPU, varlen on CUDA where this torch has
    it, else block_mask. varlen asked for where it cannot run is an error."""
    if name not in PACKED_KERNELS:
        raise LiftError(f"train.packed_kernel must be one of {PACKED_KERNELS}")
    if name == "auto":
        if device.type != "cuda":
            return "loop"
        return "varlen" if _varlen() is not None else "block_mask"
    if name == "varlen" and (device.type != "cuda" or _varlen() is None):
        raise LiftError(
            "train.packed_kernel=varlen needs CUDA and torch.nn.attention.varlen (torch >= 2.9); "
            "use auto, loop or block_mask"
        )
    return name


def packed_row(
    position_ids: torch.Tensor,
    kernel: str,
    device: torch.device,
    reading: list[tuple[torch.Tensor, torch.Tensor]] | None = None,
) -> PackedRow:
    """The layout of a packed row from its position ids (a host tensor: no device sync). With a `reading`, every
    example's positions start at the reading's end and the example reads it; else an example starting at p > 0
    reads the row's first p tokens."""
    positions = position_ids.reshape(-1).cpu()
    bounds = example_bounds(positions)
    if reading is not None:
        return PackedRow(bounds, kernel, device, None, reading)
    starts = tuple(positions[bounds[:-1]].tolist())
    return PackedRow(bounds, kernel, device, starts if any(starts) else None)


@functools.cache
def _varlen():
    """(varlen_attn, its keyword names) when this torch has the flash varlen kernel, else None."""
    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError:
        return None
    return varlen_attn, frozenset(inspect.signature(varlen_attn).parameters)


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
    row: PackedRow | None = kwargs.pop(ROW_KWARG, None)
    plain = (
        attention_mask is not None
        or position_ids is None
        or query.shape[0] != 1
        or query.shape[2] != key.shape[2]  # a cache: keys from earlier steps
    )
    if plain:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
    if row is None:  # called without the loop's row layout: read it from the position ids
        row = packed_row(position_ids[0], "loop", query.device)
    scale = scaling if scaling is not None else query.shape[-1] ** -0.5
    if row.reading is not None:
        return _after_reading(module, query, key, value, row, scale, dropout, **kwargs), None
    half = query.dtype in (torch.bfloat16, torch.float16)
    if row.kernel == "varlen" and half and dropout == 0.0 and not row.prefixes:
        return _varlen_attention(query, key, value, row, scale), None
    if row.kernel in ("varlen", "block_mask"):  # varlen in fp32 (flash needs half precision) takes the mask
        mask = row.block_mask()
        return sdpa_attention_forward(module, query, key, value, mask, dropout, scale, is_causal=False, **kwargs)
    parts = []
    for n, (a, b) in enumerate(itertools.pairwise(row.bounds)):
        prefix = row.prefixes[n] if row.prefixes else 0
        q, k, v = query[:, :, a:b], key[:, :, a:b], value[:, :, a:b]
        if prefix:
            k, v = torch.cat([key[:, :, :prefix], k], dim=2), torch.cat([value[:, :, :prefix], v], dim=2)
        if query.device.type == "cpu" and b - a <= SHORT_CPU and dropout == 0.0:
            parts.append(_causal_math(q, k, v, scale))
        elif prefix:  # sdpa's is_causal aligns the queries with the first keys: the mask says where they are
            reads = torch.ones(b - a, prefix + b - a, dtype=torch.bool, device=q.device).tril(prefix)
            parts.append(sdpa_attention_forward(module, q, k, v, reads[None, None], dropout, scale, is_causal=False,
                                                **kwargs)[0])  # fmt: skip
        else:
            parts.append(sdpa_attention_forward(module, q, k, v, None, dropout, scale, is_causal=True, **kwargs)[0])
    return (parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)), None  # (1, T, heads, head_dim)


def _after_reading(module, query, key, value, row: PackedRow, scale: float, dropout: float, **kwargs) -> torch.Tensor:
    """Each example of the row reads the frozen reading's keys and values (this layer's), then itself
    causally: one call per example, whatever the kernel (a reading row is a share of the steps, and its
    examples read thousands of cached keys each). (1, T, heads, head_dim)."""
    read_keys, read_values = row.reading[module.layer_idx]
    read_keys, read_values = read_keys.to(key.dtype), read_values.to(value.dtype)
    prefix = read_keys.shape[2]
    parts = []
    for a, b in itertools.pairwise(row.bounds):
        q = query[:, :, a:b]
        k = torch.cat([read_keys, key[:, :, a:b]], dim=2)
        v = torch.cat([read_values, value[:, :, a:b]], dim=2)
        if query.device.type == "cpu" and dropout == 0.0:
            parts.append(_causal_math(q, k, v, scale))
        else:  # sdpa's is_causal aligns the queries with the first keys: the mask says where they are
            reads = torch.ones(b - a, prefix + b - a, dtype=torch.bool, device=q.device).tril(prefix)
            parts.append(sdpa_attention_forward(module, q, k, v, reads[None, None], dropout, scale, is_causal=False,
                                                **kwargs)[0])  # fmt: skip
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


@torch.no_grad()
def read_once(model: torch.nn.Module, ids: list[int], device: torch.device) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The keys and values of every layer after reading `ids` (1, kv heads, len(ids), head dim each): a frozen
    reading, read with whatever adapter state the caller has set (off, for train.context_reading frozen)."""
    from transformers import DynamicCache

    cache = DynamicCache()
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    name = "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"
    model(input_ids=torch.tensor([ids], device=device), use_cache=True, **{name: cache})
    return [(layer.keys.detach(), layer.values.detach()) for layer in cache.layers]


def _varlen_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, row: PackedRow, scale: float
) -> torch.Tensor:
    """The row's examples as variable-length sequences in one flash call; (1, T, heads, head_dim)."""
    varlen_attn, names = _varlen()
    q, k, v = (t[0].transpose(0, 1).contiguous() for t in (query, key, value))  # (T, heads, head_dim)
    options: dict = {}
    if "scale" in names:
        options["scale"] = scale
    elif scale != q.shape[-1] ** -0.5:  # torch 2.9's kernel always scales by 1 / sqrt(head_dim)
        q = q * (scale * q.shape[-1] ** 0.5)
    if "window_size" in names:  # torch >= 2.10: causal is a (-1, 0) window
        options["window_size"] = (-1, 0)
    else:
        options["is_causal"] = True
    if k.shape[1] != q.shape[1]:
        if "enable_gqa" in names:
            options["enable_gqa"] = True
        else:
            group = q.shape[1] // k.shape[1]
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    cu_seqlens, longest = row.cu_seqlens(), row.max_length
    return varlen_attn(q, k, v, cu_seqlens, cu_seqlens, longest, longest, **options).unsqueeze(0)


def _causal_math(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, scale: float) -> torch.Tensor:
    """Causal attention of one sequence by matmul + softmax (in fp32, as transformers' eager path). Query
    head h reads key/value head h // group: the group's query rows are stacked so each key head is used once.
    Keys longer than the queries start with a prefix that every query reads (the queries are the last ones)."""
    _, heads, n, dim = query.shape
    kv_heads, m = key.shape[1], key.shape[2]
    group = heads // kv_heads
    scores = (query.reshape(1, kv_heads, group * n, dim) @ key.transpose(-1, -2)) * scale
    future = torch.ones(n, m, dtype=torch.bool, device=query.device).triu(m - n + 1)
    scores = scores.view(1, kv_heads, group, n, m).masked_fill(future, float("-inf"))
    weights = scores.softmax(dim=-1, dtype=torch.float32).to(value.dtype).view(1, kv_heads, group * n, m)
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
