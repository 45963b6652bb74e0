"""Answer questions in one of four modes: lift_only, lift_icl, icl, no_context."""

from lift.infer.modes import ADAPTER_MODES, MODES, Answer, answer_question, build_prompt_ids

__all__ = ["ADAPTER_MODES", "MODES", "Answer", "answer_question", "build_prompt_ids"]
