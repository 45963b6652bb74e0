"""Answer questions in one of the modes: lift_only, lift_icl, icl, no_context, rag, rag_bm25."""

from lift.infer.modes import ADAPTER_MODES, MODES, RAG_RETRIEVERS, Answer, answer_question, build_prompt_ids

__all__ = ["ADAPTER_MODES", "MODES", "RAG_RETRIEVERS", "Answer", "answer_question", "build_prompt_ids"]
