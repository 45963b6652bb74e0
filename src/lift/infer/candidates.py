"""The adapter's answer chosen among several it could give (infer.beams).

An adapter trained on many facts of one document often confuses them when a question is worded unlike its
training questions: greedy decoding commits to the first words of another fact's answer ("Which messaging app ran
its early servers out of a dental practice?" -> "The database company Mastodyne: ..."), while the right answer is
among its next few candidates. Here the adapter writes `beams` answers by beam search, and the one kept is the
closest to the question: all-MiniLM-L6-v2 cosine similarity between the question and the answer (the embedder the
question gate and rag already use), plus a weight times the answer's log-probability per token, plus a weight
times the share of its content words that the question does not hold (Choosing). Only the question and the
adapter's own answers are compared; the document is not read.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase, StoppingCriteriaList

from lift.config import InferConfig
from lift.infer.generation import (
    Continuation,
    after_prefix,
    cache_argument,
    generate_after_prefix,
    generate_after_reading,
    generate_batch,
    generate_rows,
    in_length_batches,
    left_padded,
    to_continuation,
)
from lift.infer.rag import embed
from lift.prompting import end_of_turn_id

CHOSEN_MODES = ("lift_only",)  # the modes answered this way (auto's questions about the document among them)


def beams_for(mode: str, beams: int) -> int:
    """The beams a mode answers with: `beams` (infer.beams) in CHOSEN_MODES, 1 (the greedy answer) in the others.
    Every chosen_* function takes 1 as greedy decoding, so a caller passes this and needs no branch of its own."""
    return beams if mode in CHOSEN_MODES else 1


@dataclass(frozen=True)
class Choosing:
    """How one beam is kept: its similarity to the question, plus `likelihood` x its log-probability per token,
    plus `novelty` x the share of its content words that are not words of the question (an answer that restates
    the question with a word or two changed is close to it, and says nothing)."""

    likelihood: float = 1.0
    novelty: float = 0.0

    @classmethod
    def of(cls, infer: InferConfig) -> Choosing:
        return cls(infer.choice_weight, infer.novelty_weight)


@dataclass(frozen=True)
class Candidate:
    continuation: Continuation
    log_prob: float  # per written token (transformers' sequences_scores with length_penalty 1)


@torch.inference_mode()
def beam_candidates(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    max_new_tokens: int,
    beams: int,
    stopping_criteria: StoppingCriteriaList | None = None,
) -> list[list[Candidate]]:
    """The `beams` (at least 2) best answers of each prompt by beam search, best first, prompts generated
    together."""
    eot = end_of_turn_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot
    input_ids, attention_mask = left_padded(prompts, pad_id)
    device = next(model.parameters()).device
    return _beam_search(model, tokenizer, input_ids.to(device), attention_mask.to(device), max_new_tokens, beams,
                        stopping_criteria)  # fmt: skip


def _beam_search(model, tokenizer, input_ids, attention_mask, max_new_tokens: int, beams: int,
                 stopping_criteria=None, **cache) -> list[list[Candidate]]:  # fmt: skip
    """Each row's `beams` best answers, best first. `cache`: a prefix already read, one row per beam of each
    row (generate expands the prompts by the beams, not a cache it is given)."""
    if beams < 2:
        raise ValueError("beam search needs at least 2 beams (1 is the greedy answer: generate_rows)")
    eot = end_of_turn_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot
    out = model.generate(
        input_ids=input_ids,
        attention_mask=attention_mask,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        temperature=None,
        top_p=None,
        top_k=None,
        num_beams=beams,
        num_return_sequences=beams,
        early_stopping=True,
        length_penalty=1.0,
        eos_token_id=eot,
        pad_token_id=pad_id,
        output_scores=True,
        return_dict_in_generate=True,
        stopping_criteria=stopping_criteria,
        **cache,
    )
    written = out.sequences[:, input_ids.shape[1] :].tolist()
    scores = out.sequences_scores.tolist()
    rows = [Candidate(to_continuation(tokenizer, w, eot), s) for w, s in zip(written, scores, strict=True)]
    return [rows[i * beams : (i + 1) * beams] for i in range(len(input_ids))]


def choose(questions: list[str], candidates: list[list[Candidate]], choosing: Choosing) -> list[Candidate]:
    """Each question's candidate with the highest score by `choosing`, among those that say something the
    question does not (all of them when none does)."""
    texts = [c.continuation.text for row in candidates for c in row]
    vectors = embed(list(questions) + texts)
    asked, answers = vectors[: len(questions)], vectors[len(questions) :]
    chosen, at = [], 0
    for question, question_vector, row in zip(questions, asked, candidates, strict=True):
        similarity = (answers[at : at + len(row)] @ question_vector).tolist()
        at += len(row)
        # nothing is closer to a question than the question itself: a beam that only repeats it would win
        # ("What is the best thing to do in San Francisco?" -> "The best thing to do in San Francisco?")
        novel = [new_share(question, c.continuation.text) for c in row]
        answering = [i for i in range(len(row)) if novel[i] > 0]  # those that do not only repeat it (repeats)
        score = [similarity[i] + choosing.likelihood * row[i].log_prob + choosing.novelty * novel[i]
                 for i in range(len(row))]  # fmt: skip
        best = max(answering or range(len(row)), key=score.__getitem__)
        chosen.append(row[best])
    return chosen


_WORD = re.compile(r"[a-z0-9]+")
_FUNCTION_WORDS = frozenset(
    "a an the is are was were be been it its this that these those to of in on at by for with from and or "
    "i you he she we they me my your".split()
)


def new_share(question: str, answer: str) -> float:
    """The share of `answer`'s content words (each occurrence) that are not words of `question`; 0 without any."""
    asked = set(_WORD.findall(question.lower()))
    words = [w for w in _WORD.findall(answer.lower()) if w not in _FUNCTION_WORDS]
    return sum(w not in asked for w in words) / len(words) if words else 0.0


def repeats(question: str, answer: str) -> bool:
    """Whether every content word of `answer` is a word of `question` (it says nothing the question does not)."""
    return new_share(question, answer) == 0.0


def chosen_rows(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    questions: list[str],
    max_new_tokens: int,
    beams: int,
    choosing: Choosing,
    stopping_criteria: StoppingCriteriaList | None = None,
) -> list[Continuation]:
    """The chosen answer of each prompt (generated together), in input order; beams 1: generate_rows."""
    if beams == 1:
        return generate_rows(model, tokenizer, prompts, max_new_tokens, stopping_criteria=stopping_criteria)
    candidates = beam_candidates(model, tokenizer, prompts, max_new_tokens, beams, stopping_criteria)
    return [c.continuation for c in choose(questions, candidates, choosing)]


def chosen_batch(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    questions: list[str],
    max_new_tokens: int,
    beams: int,
    choosing: Choosing,
    batch_size: int = 8,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[str]:
    """chosen_rows over batches of similar length, in input order (generate_batch's counterpart; beams 1: it)."""
    if beams == 1:
        return generate_batch(model, tokenizer, prompts, max_new_tokens, batch_size, on_batch)
    return in_length_batches(
        prompts, batch_size,
        lambda indices: chosen_rows(model, tokenizer, [prompts[i] for i in indices], [questions[i] for i in indices],
                                    max_new_tokens, beams, choosing),
        on_batch,
    )  # fmt: skip


def chosen_after_prefix(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    questions: list[str],
    max_new_tokens: int,
    prefix_length: int,
    beams: int,
    choosing: Choosing,
    batch_size: int = 8,
    read_prefix: Callable[[], contextlib.AbstractContextManager] | None = None,
) -> Iterator[list[Continuation]]:
    """The chosen answers of prompts that share their first prefix_length tokens (a document's cut asked several
    questions: lift_icl), one list per batch in input order: generate_after_prefix's counterpart, the prefix read
    once (under `read_prefix`, a frozen reading) and its cache repeated for every beam of every row; beams 1: it."""
    if beams == 1:
        yield from generate_after_prefix(model, tokenizer, prompts, max_new_tokens, prefix_length, batch_size,
                                         read_prefix)  # fmt: skip
        return
    done, name = 0, cache_argument(model)

    def write(ids, mask, cache: DynamicCache) -> list[Continuation]:
        nonlocal done
        cache.batch_repeat_interleave(len(ids) * beams)
        candidates = _beam_search(model, tokenizer, ids, mask, max_new_tokens, beams, **{name: cache})
        asked = questions[done : done + len(ids)]
        done += len(ids)
        return [c.continuation for c in choose(asked, candidates, choosing)]

    yield from after_prefix(model, tokenizer, prompts, prefix_length, write, batch_size, read_prefix)


def chosen_after_reading(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt: list[int],
    question: str,
    reading: DynamicCache,
    max_new_tokens: int,
    beams: int,
    choosing: Choosing,
    stopping_criteria: StoppingCriteriaList | None = None,
) -> Continuation:
    """The chosen answer of one prompt whose first tokens are already in `reading` (read_into_cache), which is
    left as it was: generate_after_reading's counterpart (lift serve keeps a document's reading for its next
    question); beams 1: it."""
    if beams == 1:
        return generate_after_reading(model, tokenizer, prompt, reading, max_new_tokens,
                                      stopping_criteria=stopping_criteria)  # fmt: skip
    device = next(model.parameters()).device
    ids = torch.tensor([prompt], device=device)
    rows = copy.deepcopy(reading)
    rows.batch_repeat_interleave(beams)
    candidates = _beam_search(model, tokenizer, ids, torch.ones_like(ids), max_new_tokens, beams, stopping_criteria,
                              **{cache_argument(model): rows})  # fmt: skip
    return choose([question], candidates, choosing)[0].continuation
