"""The answer modes.

no_context  base model, the question alone
icl         base model, the document (head + tail kept to fit the window) then the question
lift_only   base model + adapter, the question alone: the document lives in the adapter
lift_icl    base model + adapter, and as much of the document as fits, head + tail
rag         base model, the top-k chunks ranked by all-MiniLM-L6-v2 embeddings, then the question
rag_bm25    the same with BM25 ranking
auto        the question gate (gate.py) picks: lift_only for a question about the document, no_context (adapter
            off) for anything else; lift_only for an entry lifted without a gate
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from lift.adapters.base import Adapter
from lift.config import InferConfig, RagConfig
from lift.errors import LiftError
from lift.infer.candidates import Choosing, beams_for, chosen_after_prefix, chosen_batch
from lift.infer.gate import QuestionGate, route_questions
from lift.infer.names import ADAPTER_MODES, GATED_MODES, MODES, RAG_RETRIEVERS
from lift.infer.rag import Retriever, retrieved_context
from lift.prompting import chat_prompt_ids
from lift.text.truncate import truncate_head_tail

ICL_TEMPLATE = "{document}\n\nAnswer the question based on the text above.\nQuestion: {question}"


@dataclass
class Answer:
    text: str
    mode: str
    prompt_tokens: int
    seconds: float
    route: str | None = None  # auto: "adapter" or "base"
    gate_score: float | None = None  # auto: the question's gate score (None without a stored gate)
    threshold: float | None = None  # auto: the gate's threshold


def system_for(mode: str, system: str | None, base_system: str | None) -> str | None:
    """The system message a mode answers with: the adapter's own (as it was trained) where the adapter answers,
    the base model's for the base modes. auto must be resolved to its route's mode first."""
    return system if mode in ADAPTER_MODES else base_system


def question_overhead(
    tokenizer: PreTrainedTokenizerBase, question: str, system: str | None, history: list[dict] | None = None
) -> int:
    """Tokens of a document-mode prompt besides the document: the chat frame, the instruction, the question."""
    return len(chat_prompt_ids(tokenizer, ICL_TEMPLATE.format(document="", question=question), system, history))


def build_prompt_ids(
    tokenizer: PreTrainedTokenizerBase,
    question: str,
    mode: str,
    document: str | None,
    window: int,
    max_new_tokens: int,
    system: str | None,
    history: list[dict] | None = None,
    room_for: int = 0,
    context_tokens: int = 0,
) -> list[int]:
    """The prompt for a mode; with a document, its head and tail are kept so prompt + answer fit the window.
    For the rag modes `document` is the retrieved text. `history`: earlier turns of a chat (the document goes
    into the last question only). `room_for`: leave at least this many tokens for the question and its frame
    (question_overhead of the longest question), so that every question about a document gets the same cut
    of it and the prompts share their start. `context_tokens`: at most this many document tokens (0: no cap)."""
    if mode not in MODES:
        raise LiftError(f"unknown mode '{mode}' (choose from {', '.join(MODES)})")
    if mode in ("lift_only", "no_context", "auto"):  # auto answers in one of the other two: the same prompt
        prompt = chat_prompt_ids(tokenizer, question, system, history)
        if len(prompt) + max_new_tokens > window:
            raise LiftError(
                f"the prompt ({len(prompt)} tokens) and {max_new_tokens} answer tokens do not fit the "
                f"{window}-token window"
            )
        return prompt
    if not document:
        raise LiftError(f"mode {mode} needs the document text")
    own = question_overhead(tokenizer, question, system, history)
    spare = max(0, room_for - own)  # a shorter question than the one room is left for: fit as if it were as long
    document_ids = tokenizer(document, add_special_tokens=False)["input_ids"]
    budget = window - max_new_tokens - own - spare
    if budget <= 0:
        raise LiftError(f"the question alone leaves no room for the document in a {window}-token window")
    if context_tokens:
        budget = min(budget, context_tokens)
    # Decoding and re-encoding can shift a few tokens at the cut, so shrink until it really fits.
    while budget > 0:
        kept = tokenizer.decode(truncate_head_tail(document_ids, budget))
        prompt = chat_prompt_ids(tokenizer, ICL_TEMPLATE.format(document=kept, question=question), system, history)
        overflow = len(prompt) + spare + max_new_tokens - window
        if overflow <= 0:
            return prompt
        budget -= overflow
    raise LiftError("could not fit the document into the window")


def reads_frozen(train) -> bool:
    """Whether an adapter was trained to continue the base model's reading of the cut (train.context_reading
    frozen, with questions asked in context): lift_icl then reads the cut with the adapter off."""
    return train.qa_context_share > 0 and train.context_reading == "frozen"


def lift_icl_reads_frozen(train, reading: str) -> bool:
    """Whether lift_icl reads the cut with the adapter off (infer.lift_icl_reading): always with 'frozen', never
    with 'adapter', and with 'as_trained' where the adapter was trained that way (reads_frozen)."""
    return reading == "frozen" or (reading == "as_trained" and reads_frozen(train))


def reading_length(tokenizer: PreTrainedTokenizerBase, prompt_ids: list[int]) -> int:
    """Where the document ends in a document-mode prompt (icl, lift_icl): the tokens up to the end of its cut,
    the chat frame before it included. A frozen reading (train.context_reading frozen) is these tokens read by
    the base model; the instruction and the question after them are read with the adapter. 0 when the prompt
    holds no document instruction."""
    text = tokenizer.decode(prompt_ids)
    end = text.rfind(ICL_TEMPLATE.split("{document}")[1].split("{question}")[0])
    if end < 0:
        return 0
    low, high = 0, len(prompt_ids)  # the most tokens whose text ends at or before the instruction starts
    while low < high:
        middle = (low + high + 1) // 2
        if len(tokenizer.decode(prompt_ids[:middle])) <= end:
            low = middle
        else:
            high = middle - 1
    return low


def answer_question(
    model: PreTrainedModel | Adapter,
    tokenizer: PreTrainedTokenizerBase,
    question: str,
    mode: str,
    *,
    document: str | None = None,
    window: int,
    max_new_tokens: int = 64,
    system: str | None = None,
    base_system: str | None = None,
    rag: RagConfig | None = None,
    gate: QuestionGate | None = None,
    context_tokens: int = 0,
    frozen: bool = False,
    beams: int = 1,
    choosing: Choosing | None = None,
) -> Answer:
    """Greedy answer. For adapter modes `model` must be an Adapter (load_adapter); base modes switch it off.
    The rag modes rank chunks of `document` for the question (settings from `rag`). auto answers as lift_only
    or no_context as `gate` routes the question (lift_only when there is no gate). `system`: the adapter's
    system message, `base_system` the base model's (None: `system` for both). `frozen`: the adapter continues
    the base model's reading of the cut (reads_frozen): lift_icl reads the document with the adapter off.
    `beams` above 1: lift_only (auto's questions about the document too) keeps the one of that many beam-search
    answers closest to the question by `choosing` (lift.infer.candidates; None: infer.choice_weight's and
    infer.novelty_weight's defaults)."""
    if mode in RAG_RETRIEVERS and document:
        rag = rag or RagConfig()
        document = retrieved_context(Retriever(document, RAG_RETRIEVERS[mode], rag.chunk_tokens), question, rag.top_k)
    adapter = model if isinstance(model, Adapter) else None
    if mode in ADAPTER_MODES and adapter is None:
        raise LiftError(f"mode {mode} needs a lifted adapter")
    route, score = route_questions(gate, [question])[0] if mode == "auto" else (None, None)
    answering = GATED_MODES[route] if route else mode
    uses_adapter = answering in ADAPTER_MODES
    chosen = system_for(answering, system, system if base_system is None else base_system)
    prompt = build_prompt_ids(
        tokenizer, question, mode, document, window, max_new_tokens, chosen, context_tokens=context_tokens
    )
    started = time.perf_counter()
    reading = reading_length(tokenizer, prompt) if frozen and mode == "lift_icl" and adapter is not None else 0
    beams, choosing = beams_for(answering, beams), choosing or Choosing.of(InferConfig())
    if reading:
        rows = chosen_after_prefix(adapter.model, tokenizer, [prompt], [question], max_new_tokens, reading, beams,
                                   choosing, 1, adapter.disabled)  # fmt: skip
        text = next(iter(rows))[0].text
    else:
        with adapter.disabled() if adapter is not None and not uses_adapter else contextlib.nullcontext():
            net = adapter.model if adapter is not None else model
            text = chosen_batch(net, tokenizer, [prompt], [question], max_new_tokens, beams, choosing)[0]
    seconds = time.perf_counter() - started
    threshold = gate.threshold if gate is not None and mode == "auto" else None
    return Answer(text, mode, len(prompt), seconds, route=route, gate_score=score, threshold=threshold)
