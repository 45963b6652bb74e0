"""The training section (TrainConfig): objectives, precisions, packed kernels and the step size of a lift."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config.fields import _help

PRECISIONS = ("auto", "fp32", "bf16")
PACKED_KERNELS = ("auto", "loop", "varlen", "block_mask")
CPU_BATCH_TOKENS = 384  # train.batch_tokens 0 (auto): the smallest step
HOLD_OUT_EVERY = 8  # train.stop_at_recall: one synthetic pair in this many is held out of training
MAX_BATCH_TOKENS = 16384  # the largest step train.target_steps sizes
TRAINING_TOKENS_PER_DOCUMENT_TOKEN = 20  # what the default recipe trains on per document token (to size steps)
CONTEXT_READINGS = ("adapter", "frozen")
OBJECTIVES = ("qa", "segments", "contextualized", "two_stage", "mix")


def step_tokens(batch_tokens: int) -> int:
    """Tokens per packed row: batch_tokens, or for 0 (auto) CPU_BATCH_TOKENS (lift_step_tokens sizes auto steps
    per document when train.target_steps is set)."""
    return batch_tokens or CPU_BATCH_TOKENS


def lift_step_tokens(train: TrainConfig, document_tokens: int) -> int:
    """The step size of one lift: train.batch_tokens, or for 0 (auto) with train.target_steps N the size that
    gives about N optimizer steps for a document of this length under the default recipe (rounded to 64,
    between CPU_BATCH_TOKENS and MAX_BATCH_TOKENS), so a GPU takes large steps on large documents."""
    if train.batch_tokens or not train.target_steps:
        return step_tokens(train.batch_tokens)
    tokens = document_tokens * TRAINING_TOKENS_PER_DOCUMENT_TOKEN / train.target_steps
    return int(min(MAX_BATCH_TOKENS, max(CPU_BATCH_TOKENS, round(tokens / 64) * 64)))


@dataclass
class TrainConfig:
    objective: str = _help(
        "Training preset: 'qa' (synthetic QA per sentence, LIFT 2025 paper §4.1), 'segments' (language modelling "
        "on overlapping document segments, LIFT 2024 paper §3.1; alone, the Finetune-Raw baseline), "
        "'contextualized' (contextualized recitation, LIFT 2024 paper §3.3: each segment recited after head/tail "
        "context), 'two_stage' (the LIFT 2024 paper's two-stage schedule, appendix A.2: stage1_epochs of "
        "contextualized segments, then contextualized segments + QA) or 'mix' (segments + qa_weight x QA in one "
        "run, LIFT blog §3.2).",
        "qa",
    )
    segment_tokens: int = _help(
        "Segment length l in tokens; 0: 256 for mix, a quarter of the model window for the other presets (the "
        "LIFT 2024 paper uses 2048 with 8k-window models).",
        0,
    )
    segment_stride: int = _help(
        "Offset s between segment starts in tokens; 0: 3/8 of the segment length (LIFT 2024 paper §3.1).", 0
    )
    context_tokens: int = _help(
        "contextualized: the most document tokens (head + tail) put before a segment; each segment draws its "
        "amount r uniformly up to this, never overlapping the segment itself. 0: half the model window (the LIFT "
        "2024 paper uses 4096 of 8k).",
        0,
    )
    recite_prompt: str = _help(
        "contextualized: the instruction after the context (the LIFT 2024 paper's wording).",
        "Given above context, please recite following segment of the context:",
    )
    qa_weight: float = _help(
        "gamma: weight of QA tokens against segment tokens in the loss (LIFT blog §3.2); the loss is the "
        "weighted sum of token losses over the number of loss tokens.",
        1.0,
    )
    stage1_epochs: int = _help(
        "two_stage: epochs on contextualized segments alone before `epochs` of segments + QA (the LIFT 2024 "
        "paper uses 1 for PiSSA, 3 for Gated Memory).",
        1,
    )
    epochs: int = _help("Passes over the training examples (the LIFT 2025 paper uses 5).", 2)
    stop_at_recall: float = _help(
        "Early stop on the document's own held-out questions: one synthetic pair in HOLD_OUT_EVERY (8) is kept out "
        "of training; after each epoch the adapter answers their questions and training stops once this share is "
        "answered (token F1 >= 0.5 against the held-out answer). train.epochs is then the most epochs. 0: off.",
        0.0,
    )
    min_steps: int = _help(
        "A floor on optimizer steps: a document whose `epochs` would give fewer steps (a passage of a few "
        "sentences packs into a handful per epoch) trains more epochs instead. 0: off.",
        0,
    )
    lr: float | None = _help(
        "AdamW learning rate; None: the adapter's default: lora 3e-3, pissa 1e-3, gated_memory 1e-2, times "
        "sqrt(step tokens / 384) for steps above 384 tokens (batch_tokens x rows per step; the papers, "
        "on 8B models: 3e-4 for LoRA in the LIFT 2025 paper, 3e-5 for PiSSA and 1e-3 for Gated Memory in the "
        "LIFT 2024 paper).",
        None,
    )
    beta1: float = _help("AdamW beta1 (the LIFT 2025 paper uses 0.9).", 0.9)
    beta2: float = _help("AdamW beta2 (the LIFT 2025 paper uses 0.95).", 0.95)
    eps: float = _help("AdamW epsilon (the LIFT 2025 paper uses 1e-8).", 1e-8)
    weight_decay: float = _help("AdamW weight decay (the LIFT 2025 paper uses 0).", 0.0)
    batch_tokens: int = _help(
        "Tokens per optimizer step: examples are packed into one row up to this length (no padding). 0: auto: "
        "384, or sized by train.target_steps. Larger steps raise the default lr (train.lr).",
        0,
    )
    target_steps: int = _help(
        "With batch_tokens 0 (auto): size each lift's steps for about this many optimizer steps (384 to 16,384 "
        "tokens per step, from the document's length), so large documents take large steps. 0: always 384.",
        0,
    )
    rows_per_step: int = _help(
        "Packed rows (of batch_tokens each) per optimizer step, summed over the processes of a multi-GPU run "
        "(gradient accumulation; a multiple of the number of processes). 0: one row per process.",
        0,
    )
    update_replay: float = _help(
        "lift train --update: share of the unchanged sentences whose QA is trained again beside the changed "
        "sentences' new QA (keeps the old facts).",
        0.2,
    )
    max_grad_norm: float = _help("Gradient clipping norm (0 disables).", 1.0)
    replay_ratio: float = _help(
        "Replay examples (the base model's own answers to general prompts) per synthetic QA example; "
        "guards general behaviour against being overwritten (learned by distillation with distill.replay_weight). "
        "0 disables.",
        0.5,
    )
    replay_max_tokens: int = _help("Max tokens of each replayed base-model answer (cut back to whole sentences).", 64)
    replay_prompts: str | None = _help(
        "The general prompts replayed (and the question gate's general side): None for the 48 bundled ones, or a "
        "file of your own (one prompt per line, or a JSON list); the base model answers each once (cached).",
        None,
    )
    qa_context_share: float = _help(
        "Share of the synthetic QA pairs also asked with the document in the window, as lift_icl asks them: the "
        "document's head and tail, then up to qa_context_questions questions in one conversation (each row reads "
        "the cut once). Teaches the adapter to answer with part of the document in its window. 0: off.",
        0.0,
    )
    qa_context_questions: int = _help("Questions per qa_context_share row (one reading of the cut).", 16)
    qa_context_tokens: int = _help(
        "qa_context_share: the most document tokens in a row's cut (head and tail). 0: as many as fit the model "
        "window beside the row's questions, as lift_icl fills it.",
        0,
    )
    context_reading: str = _help(
        "How the qa_context_share questions read the document's cut: 'adapter' (the cut in each row, read with the "
        "adapter on, several questions per row) or 'frozen' (the base model reads the cut once, adapter off and no "
        "gradient; each question continues that reading with the adapter on, so a question costs its own tokens; "
        "lift_icl then answers the same way: the cut read by the base model, the question by the adapter).",
        "adapter",
    )
    precision: str = _help("Training compute precision: auto (bf16 where the hardware has it), fp32 or bf16.", "auto")
    packed_attention: bool = _help(
        "Attention per example inside a packed row (only the useful causal blocks are computed) instead of one "
        "masked attention over the whole row. Same results with less attention work.",
        True,
    )
    packed_kernel: str = _help(
        "Kernel of packed attention: loop (one causal call per example: the fastest on CPUs), varlen (one "
        "flash-attention call over the row's examples; CUDA, bf16/fp16), block_mask (one SDPA call with a "
        "block-diagonal causal mask; any device) or auto (loop on CPUs, varlen on CUDA where torch has it, "
        "else block_mask).",
        "auto",
    )
    compile: bool = _help(
        "torch.compile the decoder layers for training (dynamic shapes; the masked attention path, as packed "
        "attention would recompile per row layout). Every run first pays for the compilation, so it helps only "
        "longer lifts.",
        False,
    )
    pipeline: bool = _help(
        "Train while generating: the first epoch consumes QA pairs as they arrive (the producer-consumer "
        "pipeline, LIFT 2025 paper §4.2); later epochs read the cache. false: generate everything, then train.",
        True,
    )
    pipeline_window: int = _help(
        "Pipeline: the first epoch shuffles pairs within a window of this many examples as they arrive "
        "(full shuffling would wait for the last pair; none would give steps of neighbouring sentences only; a "
        "larger window mixes the document more, like --no-pipeline).",
        256,
    )
    queue_size: int = _help(
        "Pipeline: QA pairs buffered between generator and trainer (back-pressure bound).", 1024, "speed"
    )
    seed: int = _help("Random seed for shuffling and initialisation.", 0)
