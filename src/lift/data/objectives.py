"""The document itself as training data: overlapping document segments (LIFT 2024 paper §3.1), plain or
contextualized (§3.3), and the presets that decide which examples a run trains on in which epochs.

    segments        language modelling on overlapping segments x[l_k : l_k + l], l_(k+1) = l_k + s, last one
                    ending at the document's end; loss on every segment token (Finetune-Raw)
    contextualized  "{head}...{tail} Given above context, please recite following segment of the context:"
                    as a chat turn, the segment as the answer; loss on the segment only
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerBase

from lift.config import TrainConfig
from lift.data.examples import IGNORE_INDEX, Example
from lift.errors import LiftError
from lift.prompting import chat_prompt_ids, end_of_turn_id

MIX_SEGMENT_TOKENS = 256  # short segments: many starting points in the text (paraphrase dev split: 128 = 256)

# preset -> (segment kind, QA in the run, stage-1 epochs on segments alone)
PRESETS: dict[str, tuple[str | None, bool, bool]] = {
    "qa": (None, True, False),
    "segments": ("plain", False, False),
    "contextualized": ("contextualized", False, False),
    "two_stage": ("contextualized", True, True),
    "mix": ("plain", True, False),
}


@dataclass
class TrainingPlan:
    """What one lift trains on: `fixed` examples known before any generation (document segments), QA pairs
    from the generator when `uses_qa`, and `stage1_epochs` on the fixed examples alone first."""

    fixed: list[Example] = field(default_factory=list)
    objective: str = "qa"  # train.objective, or qa for an update of a mix lift (lift.recipe)
    uses_qa: bool = True
    stage1_epochs: int = 0
    qa_weight: float = 1.0  # gamma for QA examples; set only when segments train beside them
    segment_tokens: int = 0
    segment_stride: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)


def segment_spans(n_tokens: int, length: int, stride: int) -> list[tuple[int, int]]:
    """[start, end) token spans of length `length`, starts `stride` apart, the last one ending at n_tokens
    (so it may overlap its neighbour more). A document no longer than `length` is one span."""
    if length < 1 or not 1 <= stride <= length:
        raise ValueError(f"need 1 <= stride ({stride}) <= length ({length})")
    if n_tokens <= length:
        return [(0, n_tokens)] if n_tokens else []
    starts = list(range(0, n_tokens - length, stride)) + [n_tokens - length]
    return [(start, start + length) for start in starts]


def segment_example(tokenizer: PreTrainedTokenizerBase, ids: list[int]) -> Example:
    """Plain language modelling on a segment, after whatever the tokenizer puts before plain text (a bos for
    Llama 3, nothing for SmolLM2). Without that prefix the first token has no predictor in the row, and in a
    packed row its predictor would be the previous example's last token, so it is not a target."""
    prefix = list(tokenizer("", add_special_tokens=True)["input_ids"])
    labels = [IGNORE_INDEX] * len(prefix) + (list(ids) if prefix else [IGNORE_INDEX] + list(ids[1:]))
    return Example(input_ids=prefix + list(ids), labels=labels)


def contextualized_example(
    tokenizer: PreTrainedTokenizerBase,
    document_ids: list[int],
    span: tuple[int, int],
    context_tokens: int,
    recite_prompt: str,
    system: str | None,
    rng: random.Random,
) -> Example:
    """Contextualized recitation (LIFT 2024 paper §3.3): r ~ U[0, context_tokens] tokens from the document's head and
    context_tokens - r from its tail (each cut where it would reach the segment, so the context never holds
    the text to recite), the instruction, then the segment as the answer."""
    start, end = span
    r = rng.randint(0, context_tokens)
    head = document_ids[: min(r, start)]
    tail_len = min(context_tokens - r, len(document_ids) - end)
    tail = document_ids[len(document_ids) - tail_len :] if tail_len > 0 else []
    parts = [tokenizer.decode(head), tokenizer.decode(tail)] if head or tail else []
    context = "...".join(p for p in parts if p)
    user = f"{context} {recite_prompt}" if context else recite_prompt
    prompt = chat_prompt_ids(tokenizer, user, system)
    target = list(document_ids[start:end]) + [end_of_turn_id(tokenizer)]
    return Example(input_ids=prompt + target, labels=[IGNORE_INDEX] * len(prompt) + target)


def training_plan(
    config: TrainConfig, tokenizer: PreTrainedTokenizerBase, text: str, window: int, system: str | None
) -> TrainingPlan:
    kind, uses_qa, staged = PRESETS[config.objective]
    plan = TrainingPlan(
        objective=config.objective, uses_qa=uses_qa, stage1_epochs=config.stage1_epochs if staged else 0
    )
    if kind is None:
        return plan
    plan.qa_weight = config.qa_weight
    auto_length = min(MIX_SEGMENT_TOKENS, window) if config.objective == "mix" else max(16, window // 4)
    length = config.segment_tokens or auto_length
    stride = config.segment_stride or max(1, length * 3 // 8)
    if length > window:
        raise LiftError(f"train.segment_tokens ({length}) is longer than the model window ({window})")
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    plan.segment_tokens, plan.segment_stride = length, stride
    plan.spans = segment_spans(len(ids), length, stride)
    if kind == "plain":
        plan.fixed = [segment_example(tokenizer, ids[a:b]) for a, b in plan.spans]
    else:
        # the context and the instruction must fit in the window beside the segment
        budget = window - length - len(chat_prompt_ids(tokenizer, config.recite_prompt, system)) - 16
        cap = min(config.context_tokens or window // 2, max(0, budget))
        rng = random.Random(config.seed)
        plan.fixed = [
            contextualized_example(tokenizer, ids, span, cap, config.recite_prompt, system, rng) for span in plan.spans
        ]
    return plan
