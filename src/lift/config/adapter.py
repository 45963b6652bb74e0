"""The adapter sections: what is trained (AdapterConfig, ADAPTERS) and LoRA/PiSSA settings (LoraConfig)."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config.fields import _help

ADAPTERS = ("lora", "pissa", "gated_memory")


@dataclass
class LoraConfig:
    rank: int = _help(
        "LoRA rank r: the inner dimension of each low-rank update (trainable parameters grow in proportion).",
        32,
    )
    alpha: int = _help("LoRA alpha (scale = alpha / rank).", 64)
    dropout: float = _help("LoRA dropout.", 0.0)
    target_modules: str = _help(
        "Modules to adapt: 'all-linear' (every linear projection) or a comma list.", "all-linear"
    )


@dataclass
class AdapterConfig:
    type: str = _help(
        "What is trained: 'lora' (low-rank deltas on every linear layer), 'pissa' (LoRA initialised from the "
        "principal singular vectors of each weight, the LIFT 2024 paper's PiSSA baseline; saved as a plain LoRA of "
        "rank 2r) or 'gated_memory' (Gated Memory, LIFT 2024 paper §3.4: per head a gate g(q) and a memory m(q) "
        "from the query; attention output becomes (1-g)*attention + g*memory).",
        "lora",
    )
    pissa_niter: int = _help(
        "pissa: 0 for an exact SVD of every weight; N for peft's fast randomized SVD with N iterations (7B+ models).",
        0,
    )
    memory_hidden: int = _help("gated_memory: hidden width of each head's memory MLP m(q).", 64)
    gate_hidden: int = _help("gated_memory: hidden width of each head's gate MLP g(q).", 16)
    gate_init_bias: float = _help(
        "gated_memory: initial bias of the gate's output (sigmoid(-4) = 0.018: the model starts close to the base).",
        -4.0,
    )
