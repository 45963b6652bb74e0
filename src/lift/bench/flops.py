"""The training FLOP count behind "share of peak", and the machine's measured matmul peak.

FLOPs of one LoRA training pass over a set of examples (useful work only; what masked blocks, padding or
recomputation would add is not counted):

    4 * N_frozen * T          frozen linear layers: forward 2N per token, backward to the inputs 2N (no
                              weight gradients for frozen weights)
  + 6 * N_adapter * T         adapter weights: forward, input gradient and weight gradient
  + 4 * d * V * T_loss        output projection, only at the tokens a loss is taken on (forward + input grad)
  + 6 * L * d_attn * sum n^2  causal attention per example of n tokens, per layer: QK^T and AV over the
                              lower triangle, 2 n^2 d_attn forward, twice that backward

T tokens, T_loss loss tokens, L layers, d hidden size, d_attn query heads x head dim, V vocabulary.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lift.data import Example
from lift.train.precision import frozen_linears


@dataclass
class ModelShape:
    frozen_linear: int  # parameters in the frozen linear layers of the decoder blocks
    adapter: int  # trainable parameters
    hidden: int
    attention_width: int  # query heads x head dim
    layers: int
    vocab: int


def model_shape(model: torch.nn.Module) -> ModelShape:
    config = model.config
    output = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    frozen = sum(m.weight.numel() for m in frozen_linears(model) if m is not output)  # lm_head: its own term
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return ModelShape(
        frozen_linear=frozen,
        adapter=sum(p.numel() for p in model.parameters() if p.requires_grad),
        hidden=config.hidden_size,
        attention_width=config.num_attention_heads * head_dim,
        layers=config.num_hidden_layers,
        vocab=config.vocab_size,
    )


def training_flops(shape: ModelShape, examples: Sequence[Example]) -> float:
    tokens = sum(len(e) for e in examples)
    loss_tokens = sum(e.loss_tokens for e in examples)
    square = sum(len(e) ** 2 for e in examples)
    return (
        4 * shape.frozen_linear * tokens
        + 6 * shape.adapter * tokens
        + 4 * shape.hidden * shape.vocab * loss_tokens
        + 6 * shape.layers * shape.attention_width * square
    )


def matmul_peak(dtype: torch.dtype, device: str = "cpu", size: int = 2048, seconds: float = 2.0) -> float:
    """FLOP/s of the best of a few timed runs of size x size matmuls: what this machine's BLAS reaches."""
    a = torch.randn(size, size, dtype=dtype, device=device)
    b = torch.randn(size, size, dtype=dtype, device=device)
    for _ in range(3):
        a @ b
    best = 0.0
    for _ in range(3):
        reps, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds / 3:
            a @ b
            reps += 1
        if device != "cpu":
            torch.cuda.synchronize()
        best = max(best, 2 * size**3 * reps / (time.perf_counter() - started))
    return best
