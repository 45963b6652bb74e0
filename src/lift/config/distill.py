"""The context distillation section (DistillConfig): the teacher is the base model reading the document."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config.fields import _help

DISTILL_TARGETS = ("template", "teacher", "both")


@dataclass
class DistillConfig:
    weight: float = _help(
        "Context distillation on the synthetic QA: the share of each answer token's loss that matches the teacher "
        "(the base model, adapter off, reading the example's chunk of the document, as in the icl mode) by KL "
        "over its top_k tokens; the rest is cross-entropy on the reference answer. 0: cross-entropy alone (no "
        "teacher pass); 1: distillation alone.",
        0.0,
    )
    replay_weight: float = _help(
        "The same share on the replay examples, whose teacher is the base model without any document: 1 makes "
        "the adapter keep the base model's whole next-token distribution on the general prompts, not only its "
        "sampled answer. 0: cross-entropy on the base model's answer.",
        1.0,
    )
    top_k: int = _help("Teacher tokens kept per answer position (their log-probabilities; Cartridges uses 20).", 20)
    context_tokens: int = _help(
        "Document tokens the teacher reads before each question: the document cut at sentence boundaries into "
        "chunks of at most this many tokens, and each example gets its sentence's chunk (the chunk is computed "
        "once for all its questions). Capped to fit the model window.",
        1024,
    )
    targets: str = _help(
        "The answers the adapter learns: 'template' (the generator's answers, with the teacher's distribution "
        "along them), 'teacher' (self-study: the teacher's own greedy answer to each question, with the chunk in "
        "context) or 'both' (each question twice).",
        "template",
    )
    teacher_max_tokens: int = _help("Most tokens of a teacher-written answer (targets teacher or both).", 64)
