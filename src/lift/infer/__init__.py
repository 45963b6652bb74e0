"""Answer questions in one of the modes: lift_only, lift_icl, icl, no_context, rag, rag_bm25, auto.

The mode names come from the torch-free lift.infer.names; the rest (torch, transformers) loads on first use,
so `from lift.infer import MODES` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lift.infer.names import ADAPTER_MODES, MODES, RAG_RETRIEVERS

if TYPE_CHECKING:
    from lift.infer.modes import Answer, answer_question, build_prompt_ids

_LAZY = ("Answer", "answer_question", "build_prompt_ids")

__all__ = ["ADAPTER_MODES", "MODES", "RAG_RETRIEVERS", "Answer", "answer_question", "build_prompt_ids"]


def __getattr__(name: str):
    if name in _LAZY:
        from lift.infer import modes

        return getattr(modes, name)
    raise AttributeError(f"module 'lift.infer' has no attribute '{name}'")
