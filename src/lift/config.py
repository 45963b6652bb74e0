"""Run configuration: dataclasses with help text per field, YAML/JSON load and dump, validation.

Every default is defined here once; the CLI flags and the README refer to these fields.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from lift.errors import LiftError

GENERATORS = ("template", "local", "openai")
AUX_ANSWERS = ("answer", "evidence_answer")
TEMPLATE_FORMS = (
    "definition",
    "key_phrase",
    "cloze",
    "succession",
    "wh",
    "about",
    "ask",
    "cue",
    "yes_no",
)
DEFAULT_TEMPLATE_FORMS = ("ask", "cue", "yes_no")
WORDS_PER_PAIR = 4  # synth.words_per_pair
GROUNDING = ("off", "overlap", "strict")
PRECISIONS = ("auto", "fp32", "bf16")
PACKED_KERNELS = ("auto", "loop", "varlen", "block_mask")
CPU_BATCH_TOKENS = 384  # train.batch_tokens 0 (auto): the smallest step
HOLD_OUT_EVERY = 8  # train.stop_at_recall: one synthetic pair in this many is held out of training
MAX_BATCH_TOKENS = 16384  # the largest step train.target_steps sizes
TRAINING_TOKENS_PER_DOCUMENT_TOKEN = 20  # what the default recipe trains on per document token (to size steps)
DEVICES = ("auto", "cpu", "cuda")
ADAPTERS = ("lora", "pissa", "gated_memory")
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


# A field's role, in its metadata (a section's own role is the default for its fields):
#   learns   decides what an adapter learns: part of a lift's run key and of the store's reuse check
#   speed    how fast or where the work runs, never what is learned (a rerun with another value resumes)
#   selects  which questions an eval asks: such a setting may grow an eval folder's grid
#   serves   answering, evaluation and serving settings, outside any adapter
ROLES = ("learns", "speed", "selects", "serves")


def _help(text: str, default: Any, role: str | None = None) -> Any:
    metadata = {"help": text} | ({"role": role} if role else {})
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass
class ModelConfig:
    name: str | None = _help(
        "Base model: None for the embedded SmolLM2-135M-Instruct, a Hugging Face model id, or a local model directory.",
        None,
    )
    device: str = _help("Where to run: auto (cuda if available), cpu or cuda.", "auto")


@dataclass
class SynthConfig:
    generator: str = _help(
        "Synthetic QA generator: 'template' (deterministic, built from each sentence; needs no model or server), "
        "'local' (the base model writes QA pairs; for base models large enough to follow the prompt) or 'openai' "
        "(any OpenAI-compatible server: vLLM, llama.cpp, Ollama, OpenAI).",
        "template",
    )
    prompt: str = _help(
        "Per-sentence prompt template: a built-in name (see `lift prompts`) or the path of a .yaml file.",
        "sentence-qa-v1",
    )
    aux_tasks: int = _help(
        "Auxiliary long-range QA with evidence (LIFT 2024 paper §3.2): windows of consecutive sentences, one "
        "question each, with verbatim evidence (the paper uses 10 per document). 0 disables.",
        0,
    )
    aux_window_sentences: int = _help("Sentences per auxiliary window (the LIFT 2024 paper uses 16).", 16)
    aux_prompt: str = _help(
        "Auxiliary prompt template (the LIFT 2024 paper's instructions, appendix B.1): aux-qa-v1 (LooGLE), "
        "aux-qa-brief-v1 (Musique: brief answers), aux-qa-details-v1 (NarrativeQA), or the path of a .yaml file.",
        "aux-qa-v1",
    )
    aux_answer: str = _help(
        "Training target of an auxiliary pair: 'answer', or 'evidence_answer' (evidence-augmented answers, LIFT "
        "blog appendix B: the evidence quoted, then the answer).",
        "answer",
    )
    generator_url: str | None = _help(
        "openai generator: base URL of the OpenAI-compatible API, e.g. http://localhost:8000/v1 (vLLM).",
        None,
        "speed",
    )
    generator_model: str | None = _help("openai generator: model name at generator_url.", None)
    generator_api_key_env: str = _help(
        "openai generator: environment variable with the API key (unset: 'EMPTY', which local servers accept).",
        "OPENAI_API_KEY",
        "speed",
    )
    concurrency: int = _help("openai generator: requests in flight at once.", 64, "speed")
    request_timeout: float = _help(
        "openai generator: seconds before a request is abandoned and retried.", 120.0, "speed"
    )
    max_retries: int = _help(
        "openai generator: retries of a request after 429/5xx/timeouts/unreadable replies (exponential backoff "
        "with jitter); then the item is skipped and counted, never the run.",
        5,
        "speed",
    )
    temperature: float = _help("openai generator: sampling temperature.", 0.7)
    max_tokens: int = _help("openai generator: max tokens per reply.", 512)
    qa_per_sentence: int = _help(
        "m: QA pairs per sentence (synthetic QA per sentence, LIFT 2025 paper §4.1): what an LLM generator is "
        "asked for, and the most the template generator keeps (one per 4 words of a sentence, at least 2; the "
        "yes_no form's yes/no pair comes on top).",
        6,
    )
    template_forms: list = _help(
        "template generator: the question forms to make of each sentence (the first qa_per_sentence pairs are "
        "kept). ask, cue and yes_no work phrase by phrase (every content phrase of the sentence in turn): ask: "
        "a question whose answer is the phrase, answered with the phrase, then the sentence ('Where did Maria "
        "leave the key?' -> 'Under the blue flowerpot: Maria left ...'); cue: a question naming the phrase, "
        "answered with the sentence restated with that phrase first; yes_no: 'What did <subject> do?' and the "
        "sentence as a yes/no question, after the phrases. The older forms answer with the whole sentence: "
        "definition ('What is X?' for 'X is Y.'), wh (who/what/where/when/how-many about the subject, object, "
        "places, dates and counts), about (two names, numbers or dates asked together), key_phrase ('What does "
        "the text say about <name>?'), cloze ('Complete the sentence: ...'), succession (the sentence after the "
        "previous one).",
        list(DEFAULT_TEMPLATE_FORMS),
    )
    words_per_pair: int = _help(
        "template generator, phrase forms: a sentence keeps one pair per this many of its words (at least 2, at "
        "most qa_per_sentence; the yes/no pair on top), so that short sentences cost less.",
        WORDS_PER_PAIR,
    )
    reask: int = _help(
        "template generator, ask form: other wordings of each question asked for a phrase, trained with the same "
        "answer: indirect ('Do you know where Maria left the key?'), a request ('Tell me where ...'), inside a "
        "longer message, a terse query ('Maria key: where?'), each phrase of a document another kind in turn. "
        "0: none.",
        0,
    )
    restatements: int = _help(
        "Restatements per sentence trained as plain text (lift.data.restatements): the sentence with another of its "
        "phrases first (a fronted place or time, a passive), so each part of a fact leads to the rest. 0: none.",
        0,
    )
    context_chars: int = _help(
        "Characters of preceding text shown to the generator with each sentence (the LIFT reference "
        "implementation uses 2048).",
        2048,
    )
    grounding: str = _help(
        "Grounding filter: 'overlap' drops answers whose content words are not mostly in the sentence or its "
        "context; 'strict' keeps only answers whose every content word is in the sentence itself; 'off'.",
        "overlap",
    )
    grounding_min_overlap: float = _help(
        "Share of an answer's content words that must appear in the sentence or its context.", 0.6
    )
    local_max_new_tokens: int = _help("Max tokens the local generator writes per sentence.", 200)
    local_batch_size: int = _help("Sentences per batched generate() call of the local generator.", 8, "speed")
    min_sentence_chars: int = _help("Sentences shorter than this (after stripping) get no QA pairs.", 20)


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


@dataclass
class InferConfig:
    max_new_tokens: int = _help("Max tokens in an answer.", 64)
    context_tokens: int = _help(
        "icl and lift_icl: the most document tokens put before the question (its head and tail, the middle cut "
        "out). 0: as many as fit the model's window. A smaller value answers faster and, with lift_icl, leaves "
        "more of the document to the adapter.",
        0,
    )
    system_prompt: str = _help(
        "System message of the training examples and of the adapter's answers (lift_only, lift_icl, auto's "
        "questions about the document), the same in both. '': an empty system turn, not the chat template's own "
        "default system prompt (SmolLM2's adds 20 tokens to every example).",
        "",
        "learns",
    )
    base_system_prompt: str = _help(
        "System message of the base model's own answers: no_context, icl, rag, auto's other questions, and the "
        "replay answers the adapter learns to keep.",
        "You are a helpful assistant.",
        "learns",
    )
    gate: bool = _help(
        "Build the question gate of the auto answer mode at lift time: the document's chunks embedded with "
        "all-MiniLM-L6-v2 (stored with the entry) and a similarity threshold chosen on the synthetic questions "
        "against the general replay prompts. auto then answers questions about the document with the adapter and "
        "others with the base model. Off: auto answers everything with the adapter.",
        True,
    )


RETRIEVERS = ("minilm", "bm25")


@dataclass
class RagConfig:
    chunk_tokens: int = _help(
        "RAG chunk size in all-MiniLM-L6-v2 word pieces. The embedder reads at most 256 (and silently cuts the "
        "rest), so chunks are built to fit it: whole sentences packed up to this size.",
        200,
    )
    top_k: int = _help("RAG: chunks put in the prompt, best first.", 5)


PARAPHRASE_SPLITS = ("test", "dev", "all")
REWORDING_SPLITS = ("test", "dev", "all")
GENERAL_SPLITS = ("test", "dev")
SQUAD_SPLITS = ("test", "dev")
NIAH_NEEDLES = ("sf", "dev", "facts")


@dataclass
class EvalConfig:
    data_dir: str | None = _help(
        "Benchmark data folder (niah/squad/loogle/longbench sub-folders); None: $LIFT_DATA, else ../shared/data.",
        None,
        "selects",
    )
    seed: int = _help("Seed for item sampling and bootstrap resampling.", 0)
    bootstrap_samples: int = _help("Bootstrap resamples for the 95% confidence intervals.", 1000, "selects")
    niah_lengths: list = _help(
        "NIAH haystack lengths in tokens (needle included).", [1000, 2000, 4000, 8000, 16000, 32000], "selects"
    )
    niah_depths: list = _help(
        "NIAH needle depths in percent of the haystack.", [float(d) for d in range(0, 101, 10)], "selects"
    )
    niah_needle: str = _help(
        "NIAH needle: sf (the San Francisco needle, scored), dev (another needle in another haystack, for "
        "choosing settings) or facts (five needles of other shapes: a password, a place, a time, a count, a "
        "person; each in its own haystack of fiction or essays, asked in its own words and two others).",
        "sf",
    )
    paraphrase_split: str = _help(
        "Which facts of the paraphrase suite to ask: test (scored), dev (for choosing levers and thresholds) or all.",
        "test",
    )
    paraphrase_tokens: int = _help(
        "Paraphrase: cut every haystack to this many tokens (its facts kept); 0: each haystack's own length.", 0
    )
    rewording_split: str = _help(
        "Which facts of the rewording suite to ask: dev (120 facts, 600 questions: where defaults are chosen), test "
        "(40 facts, scored once) or all.",
        "test",
    )
    general_split: str = _help(
        "Which general questions the forgetting check asks: test (scored: 40 questions after lifting the demo "
        "essay) or dev (for choosing levers: 54 other questions after lifting the paraphrase suite's dev haystacks, "
        "cut to eval.paraphrase_tokens; a --document given replaces them).",
        "test",
    )
    squad_questions: int = _help("SQuAD: questions drawn (whole passages, seeded), SEAL protocol.", 200, "selects")
    squad_split: str = _help(
        "Which SQuAD passages to draw: test (scored: from the front of the seeded passage order) or dev (for "
        "choosing levers: from its back end, so never a test passage).",
        "test",
    )
    longbench_tasks: list = _help(
        "LongBench tasks to run.", ["narrativeqa", "musique", "qmsum", "gov_report", "passage_retrieval_en"], "selects"
    )
    longbench_per_task: int = _help("LongBench samples per task, shortest contexts first; 0: all.", 0, "selects")
    judge_url: str | None = _help("OpenAI-compatible base URL of an LLM judge (LooGLE); None: no judge.", None)
    judge_model: str = _help("Judge model name at judge_url (the LIFT 2025 paper's judge).", "gpt-4.1-nano")
    judge_api_key_env: str = _help("Environment variable holding the judge's API key.", "OPENAI_API_KEY")


@dataclass
class ServeConfig:
    host: str = _help("Address `lift serve` binds; a non-loopback one needs an API key (or --insecure).", "127.0.0.1")
    port: int = _help("Port `lift serve` listens on.", 8000)
    api_key_env: str = _help(
        "Environment variable holding the server's API key (--api-key overrides it); every endpoint but "
        "/health and the web page then needs `Authorization: Bearer KEY`.",
        "LIFT_API_KEY",
    )
    max_body_bytes: int = _help("Largest request body accepted (documents are uploaded as text): 413 above.", 8 << 20)
    max_tokens: int = _help("Largest max_tokens a chat request may ask for: 400 above.", 512)
    request_timeout_s: float = _help("A chat request still unanswered after this many seconds gets 504.", 120.0)
    queue_size: int = _help("Chat requests waiting for the model at most; one more gets 429.", 64)
    batch_size: int = _help("Waiting chat requests for the same model, mode and length answered as one batch.", 8)
    adapter_slots: int = _help(
        "Lifted documents whose adapters stay loaded beside the base model (least recently used goes first).", 8
    )


@dataclass
class LiftConfig:
    model: ModelConfig = field(default_factory=ModelConfig, metadata={"help": "Base model.", "role": "learns"})
    synth: SynthConfig = field(
        default_factory=SynthConfig, metadata={"help": "Synthetic task generation.", "role": "learns"}
    )
    adapter: AdapterConfig = field(default_factory=AdapterConfig, metadata={"help": "Adapter type.", "role": "learns"})
    lora: LoraConfig = field(
        default_factory=LoraConfig, metadata={"help": "LoRA and PiSSA adapters.", "role": "learns"}
    )
    train: TrainConfig = field(default_factory=TrainConfig, metadata={"help": "Training.", "role": "learns"})
    distill: DistillConfig = field(
        default_factory=DistillConfig,
        metadata={"help": "Context distillation (teacher: the base model reading the document).", "role": "learns"},
    )
    infer: InferConfig = field(default_factory=InferConfig, metadata={"help": "Answering.", "role": "serves"})
    rag: RagConfig = field(
        default_factory=RagConfig, metadata={"help": "Retrieval baseline (rag modes).", "role": "serves"}
    )
    eval: EvalConfig = field(
        default_factory=EvalConfig, metadata={"help": "Evaluation (`lift eval`).", "role": "serves"}
    )
    serve: ServeConfig = field(
        default_factory=ServeConfig, metadata={"help": "The server (`lift serve`).", "role": "serves"}
    )

    def validate(self) -> LiftConfig:
        checks = [
            (self.model.device in DEVICES, f"model.device must be one of {DEVICES}"),
            (0 < self.serve.port < 65536, "serve.port must be in 1..65535"),
            (self.serve.max_body_bytes >= 1024, "serve.max_body_bytes must be >= 1024"),
            (self.serve.max_tokens >= 1, "serve.max_tokens must be >= 1"),
            (self.serve.request_timeout_s > 0, "serve.request_timeout_s must be > 0"),
            (self.serve.queue_size >= 1, "serve.queue_size must be >= 1"),
            (self.serve.batch_size >= 1, "serve.batch_size must be >= 1"),
            (self.serve.adapter_slots >= 1, "serve.adapter_slots must be >= 1"),
            (self.synth.generator in GENERATORS, f"synth.generator must be one of {GENERATORS}"),
            (
                self.synth.generator != "openai" or bool(self.synth.generator_url and self.synth.generator_model),
                "the openai generator needs synth.generator_url and synth.generator_model "
                "(--generator-url, --generator-model)",
            ),
            (self.synth.aux_tasks >= 0, "synth.aux_tasks must be >= 0"),
            (self.synth.aux_window_sentences >= 2, "synth.aux_window_sentences must be >= 2"),
            (self.synth.aux_answer in AUX_ANSWERS, f"synth.aux_answer must be one of {AUX_ANSWERS}"),
            (self.synth.concurrency >= 1, "synth.concurrency must be >= 1"),
            (self.synth.request_timeout > 0, "synth.request_timeout must be > 0"),
            (self.synth.max_retries >= 0, "synth.max_retries must be >= 0"),
            (self.synth.temperature >= 0, "synth.temperature must be >= 0"),
            (self.synth.max_tokens >= 16, "synth.max_tokens must be >= 16"),
            (self.train.pipeline_window >= 1, "train.pipeline_window must be >= 1"),
            (self.train.queue_size >= 1, "train.queue_size must be >= 1"),
            (self.synth.qa_per_sentence >= 1, "synth.qa_per_sentence must be >= 1"),
            (self.synth.words_per_pair >= 1, "synth.words_per_pair must be >= 1"),
            (self.synth.reask >= 0, "synth.reask must be >= 0"),
            (
                bool(self.synth.template_forms) and set(self.synth.template_forms) <= set(TEMPLATE_FORMS),
                f"synth.template_forms must be a non-empty list of {', '.join(TEMPLATE_FORMS)}",
            ),
            (self.synth.context_chars >= 0, "synth.context_chars must be >= 0"),
            (self.synth.grounding in GROUNDING, f"synth.grounding must be one of {GROUNDING}"),
            (0.0 <= self.synth.grounding_min_overlap <= 1.0, "synth.grounding_min_overlap must be in [0, 1]"),
            (self.synth.local_max_new_tokens >= 16, "synth.local_max_new_tokens must be >= 16"),
            (self.synth.local_batch_size >= 1, "synth.local_batch_size must be >= 1"),
            (self.lora.rank >= 1, "lora.rank must be >= 1"),
            (self.lora.alpha > 0, "lora.alpha must be > 0"),
            (0.0 <= self.lora.dropout < 1.0, "lora.dropout must be in [0, 1)"),
            (self.train.epochs >= 1, "train.epochs must be >= 1"),
            (self.train.min_steps >= 0, "train.min_steps must be >= 0"),
            (0 <= self.train.stop_at_recall <= 1, "train.stop_at_recall must be in [0, 1]"),
            (self.train.lr is None or self.train.lr > 0, "train.lr must be > 0"),
            (self.adapter.type in ADAPTERS, f"adapter.type must be one of {ADAPTERS}"),
            (self.adapter.pissa_niter >= 0, "adapter.pissa_niter must be >= 0"),
            (self.adapter.memory_hidden >= 1 and self.adapter.gate_hidden >= 1, "adapter hidden widths must be >= 1"),
            (self.train.objective in OBJECTIVES, f"train.objective must be one of {OBJECTIVES}"),
            (
                self.train.segment_tokens == 0 or self.train.segment_tokens >= 16,
                "train.segment_tokens must be 0 or >= 16",
            ),
            (
                self.train.segment_stride >= 0
                and (self.train.segment_tokens == 0 or self.train.segment_stride <= self.train.segment_tokens),
                "train.segment_stride must be >= 0 and at most train.segment_tokens (larger strides skip text)",
            ),
            (self.train.context_tokens >= 0, "train.context_tokens must be >= 0"),
            (self.train.qa_weight >= 0, "train.qa_weight must be >= 0"),
            (self.train.stage1_epochs >= 0, "train.stage1_epochs must be >= 0"),
            (0 <= self.train.beta1 < 1 and 0 <= self.train.beta2 < 1, "train.beta1/beta2 must be in [0, 1)"),
            (
                self.train.batch_tokens == 0 or self.train.batch_tokens >= 16,
                "train.batch_tokens must be 0 (auto) or >= 16",
            ),
            (self.train.max_grad_norm >= 0, "train.max_grad_norm must be >= 0"),
            (self.train.rows_per_step >= 0, "train.rows_per_step must be >= 0"),
            (self.train.target_steps >= 0, "train.target_steps must be >= 0"),
            (0 <= self.train.update_replay <= 1, "train.update_replay must be in [0, 1]"),
            (self.train.replay_ratio >= 0, "train.replay_ratio must be >= 0"),
            (0 <= self.train.qa_context_share <= 1, "train.qa_context_share must be in [0, 1]"),
            (self.train.qa_context_questions >= 1, "train.qa_context_questions must be >= 1"),
            (self.train.qa_context_tokens >= 0, "train.qa_context_tokens must be >= 0"),
            (0 <= self.distill.weight <= 1, "distill.weight must be in [0, 1]"),
            (0 <= self.distill.replay_weight <= 1, "distill.replay_weight must be in [0, 1]"),
            (self.distill.top_k >= 1, "distill.top_k must be >= 1"),
            (self.distill.context_tokens >= 64, "distill.context_tokens must be >= 64"),
            (self.distill.targets in DISTILL_TARGETS, f"distill.targets must be one of {DISTILL_TARGETS}"),
            (self.distill.teacher_max_tokens >= 8, "distill.teacher_max_tokens must be >= 8"),
            (
                not self.distill_enabled or self.adapter.type != "pissa",
                "context distillation needs an adapter that can be switched off while it trains (lora or "
                "gated_memory): pissa changes the base weights, so there is no teacher to ask",
            ),
            (self.train.replay_max_tokens >= 8, "train.replay_max_tokens must be >= 8"),
            (self.train.precision in PRECISIONS, f"train.precision must be one of {PRECISIONS}"),
            (self.train.packed_kernel in PACKED_KERNELS, f"train.packed_kernel must be one of {PACKED_KERNELS}"),
            (self.infer.max_new_tokens >= 1, "infer.max_new_tokens must be >= 1"),
            (self.infer.context_tokens >= 0, "infer.context_tokens must be >= 0"),
            (16 <= self.rag.chunk_tokens <= 254, "rag.chunk_tokens must be in [16, 254] (the embedder reads 256)"),
            (self.rag.top_k >= 1, "rag.top_k must be >= 1"),
            (self.eval.bootstrap_samples >= 100, "eval.bootstrap_samples must be >= 100"),
            (self.eval.squad_questions >= 1, "eval.squad_questions must be >= 1"),
            (
                self.eval.paraphrase_tokens == 0 or self.eval.paraphrase_tokens >= 200,
                "eval.paraphrase_tokens must be 0 or >= 200",
            ),
            (self.eval.longbench_per_task >= 0, "eval.longbench_per_task must be >= 0"),
            (
                bool(self.eval.niah_lengths) and all(int(x) >= 200 for x in self.eval.niah_lengths),
                "eval.niah_lengths must be a non-empty list of token counts >= 200",
            ),
            (
                bool(self.eval.niah_depths) and all(0 <= float(x) <= 100 for x in self.eval.niah_depths),
                "eval.niah_depths must be a non-empty list of percentages in [0, 100]",
            ),
            (
                self.eval.paraphrase_split in PARAPHRASE_SPLITS,
                f"eval.paraphrase_split must be one of {PARAPHRASE_SPLITS}",
            ),
            (
                self.eval.rewording_split in REWORDING_SPLITS,
                f"eval.rewording_split must be one of {REWORDING_SPLITS}",
            ),
            (self.eval.squad_split in SQUAD_SPLITS, f"eval.squad_split must be one of {SQUAD_SPLITS}"),
            (self.eval.general_split in GENERAL_SPLITS, f"eval.general_split must be one of {GENERAL_SPLITS}"),
            (self.eval.niah_needle in NIAH_NEEDLES, f"eval.niah_needle must be one of {NIAH_NEEDLES}"),
        ]
        for ok, message in checks:
            if not ok:
                raise LiftError(f"invalid config: {message}")
        return self

    @property
    def distill_enabled(self) -> bool:
        """Whether a lift runs the teacher (a distillation weight, or teacher-written answers)."""
        d = self.distill
        return d.weight > 0 or (d.replay_weight > 0 and self.train.replay_ratio > 0) or d.targets != "template"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def training_dict(self) -> dict[str, Any]:
        """The sections that decide what an adapter learns; answering and evaluation settings are left out."""
        return training_sections(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiftConfig:
        if not isinstance(data, dict):
            raise LiftError("invalid config: the top level must be a mapping of sections")
        sections = {f.name: f.default_factory for f in fields(cls)}  # type: ignore[misc]
        kwargs = {}
        for name, values in data.items():
            if name not in sections:
                raise LiftError(f"invalid config: unknown section '{name}' (known: {', '.join(sections)})")
            kwargs[name] = _build_section(sections[name], name, values or {})
        return cls(**kwargs).validate()

    def with_overrides(self, overrides: dict[str, Any]) -> LiftConfig:
        """Return a copy with dotted keys ('train.lr') replaced; None values are ignored."""
        data = self.to_dict()
        for key, value in overrides.items():
            if value is None:
                continue
            section, _, name = key.partition(".")
            if section not in data or name not in data[section]:
                raise LiftError(f"invalid config: unknown setting '{key}'")
            data[section][name] = value
        return LiftConfig.from_dict(data)


def field_roles() -> dict[str, dict[str, str]]:
    """section -> field -> role (ROLES), from the fields' metadata; a field without one takes its section's."""
    roles: dict[str, dict[str, str]] = {}
    for section in fields(LiftConfig):
        default = section.metadata["role"]
        roles[section.name] = {f.name: f.metadata.get("role", default) for f in fields(section.default_factory())}  # type: ignore[misc]
    return roles


def field_help(name: str) -> str:
    """The help text of a dotted setting ('train.epochs'): what CLI flags show, so it is written once."""
    section, _, key = name.partition(".")
    for f in fields(LiftConfig):
        if f.name == section:
            for inner in fields(f.default_factory()):  # type: ignore[misc]
                if inner.name == key:
                    return inner.metadata["help"]
    raise KeyError(name)


def training_sections(data: dict[str, Any]) -> dict[str, Any]:
    """From a config dict (e.g. a stored manifest's), the settings that decide what an adapter learns (role
    'learns'), by section; a stored config's fields this version lacks are kept, so it matches no current one."""
    roles = field_roles()
    return {
        section: {k: v for k, v in data.get(section, {}).items() if roles[section].get(k, "learns") == "learns"}
        for section, section_roles in roles.items()
        if "learns" in section_roles.values()
    }


def _build_section(factory: Any, section: str, values: dict[str, Any]) -> Any:
    if not isinstance(values, dict):
        raise LiftError(f"invalid config: section '{section}' must be a mapping")
    default = factory()
    known = {f.name: f for f in fields(default)}
    kwargs = {}
    for name, value in values.items():
        if name not in known:
            raise LiftError(f"invalid config: unknown setting '{section}.{name}' (known: {', '.join(known)})")
        kwargs[name] = _coerce(f"{section}.{name}", getattr(default, name), value)
    return factory(**kwargs)


_OPTIONAL_FLOATS = {"train.lr"}


def _coerce(key: str, default: Any, value: Any) -> Any:
    """Check a value against the default's type; numbers from YAML or the command line are converted."""
    if key in _OPTIONAL_FLOATS and value is not None and not (isinstance(value, str) and value.lower() == "none"):
        default = 0.0
    if isinstance(value, str) and value.lower() in ("none", "null") and default is None:
        return None
    if value is None or default is None:
        return value
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise ValueError(value)
            return value
        if isinstance(default, list):
            if isinstance(value, str):  # "1000,2000" from --set
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list):
                raise ValueError(value)
            kind = type(default[0]) if default else str
            return [_coerce(key, kind(), v) for v in value]
    except (TypeError, ValueError):
        raise LiftError(f"invalid config: {key} must be a {type(default).__name__}, got {value!r}") from None
    return value


def load_config(path: str | Path | None) -> LiftConfig:
    """Load a YAML or JSON config file; None gives the defaults."""
    if path is None:
        return LiftConfig().validate()
    path = Path(path)
    if not path.is_file():
        raise LiftError(f"config file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise LiftError(f"config file {path} is not valid YAML/JSON: {error}".splitlines()[0]) from None
    return LiftConfig.from_dict(data or {})


def dump_config(config: LiftConfig, path: str | Path) -> None:
    path = Path(path)
    data = config.to_dict()
    text = json.dumps(data, indent=2) if path.suffix == ".json" else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def describe_fields() -> list[tuple[str, Any, str]]:
    """(dotted name, default, help) for every setting, for docs and `lift config`."""
    rows = []
    for section in fields(LiftConfig):
        default = section.default_factory()  # type: ignore[misc]
        for f in fields(default):
            rows.append((f"{section.name}.{f.name}", getattr(default, f.name), f.metadata["help"]))
    return rows
