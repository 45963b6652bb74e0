"""Gated Memory, an attention adapter (LIFT 2024 paper §3.4)."""

from lift.adapters.gated_memory.adapter import (
    CONFIG_FILE,
    GatedMemoryAdapter,
    attach_gated_memory,
    load_gated_memory,
)
from lift.adapters.gated_memory.module import GatedMemoryAttention

__all__ = ["CONFIG_FILE", "GatedMemoryAdapter", "GatedMemoryAttention", "attach_gated_memory", "load_gated_memory"]
