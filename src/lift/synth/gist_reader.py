"""The whole-document answers of a reader (synth.gist): the base model itself, adapter off, reads the document as
the `icl` mode does and says what it is about, sums it up and names its main point. The adapter is then trained
to give those answers without the document, so that in `lift_only` it answers such questions as the model did
with the text in front of it (the extractive answers of lift.synth.gist are kept where a reader's answer is not
grounded in the text).

A document beyond the window is read a part at a time (lift.synth.gist.parts): each part's one-sentence gist,
then the whole document's answers from those gists read together (a summary per section, then a summary of them).
Answers are greedy and cached per model and prompt, like the replay answers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from lift.infer.generation import generate_after_prefix, shared_prefix_length
from lift.infer.modes import build_prompt_ids, question_overhead
from lift.models import LoadedModel
from lift.progress import NullProgress, ProgressLike
from lift.synth.cache import GenerationCache, generation_key
from lift.synth.grounding import answer_overlap, content_words
from lift.text.sentences import split_sentences
from lift.text.truncate import whole_sentences

READER_VERSION = "gist-reader-v1"
MAX_NEW_TOKENS = 96
MIN_OVERLAP = 0.5  # share of an answer's content words (META words aside) that must occur in what was read
MAX_SENTENCES = 3
REPEATED = 0.7  # a sentence whose content words are this much in the answer's earlier ones ends the answer
# Words a reader uses to talk about a text, not found in it: "The text explores the idea of ..."
META = frozenset(
    "text document essay article story passage author writer main point idea ideas topic focus focuses explores "
    "explore discusses discuss discussion highlights highlight describes describe argues argue suggests suggest "
    "summary overall also importance concept".split()
)
QUESTIONS = {
    "about": "What is this text about? Answer in one sentence.",
    "summary": "Summarize the text in two or three sentences.",
    "main_point": "What is the main point of the text? Answer in one sentence.",
}
PART_QUESTION = "What is this part of the text about? Answer in one sentence."


@dataclass
class ReaderAnswers:
    answers: dict[str, str] = field(default_factory=dict)  # kind (QUESTIONS' keys) -> grounded answer
    parts: list[str] = field(default_factory=list)  # a long document's part gists ("" where not grounded)
    generated_tokens: int = 0  # tokens written by the reader now (0 when all came from the cache)


def read_document(
    loaded: LoadedModel,
    cache: GenerationCache,
    text: str,
    part_texts: list[str],
    system: str | None,
    progress: ProgressLike | None = None,
) -> ReaderAnswers:
    """The reader's grounded answers about `text` (whose parts, for a document beyond the window, are
    `part_texts`); `system`: the base model's system prompt (as `icl` answers)."""
    result = ReaderAnswers()
    if not text.strip():
        return result
    tokenizer = loaded.tokenizer
    longest = max(question_overhead(tokenizer, q, system) for q in [*QUESTIONS.values(), PART_QUESTION])
    fits = len(tokenizer(text, add_special_tokens=False)["input_ids"]) + longest + MAX_NEW_TOKENS <= loaded.window
    source = text
    task = (progress or NullProgress()).task(
        "whole-document answers (base model reading)", 1 + (not fits) * len(part_texts), "readings"
    )
    if not fits:
        gists = []
        for part in part_texts:
            before = result.generated_tokens
            gists += _ask(loaded, cache, part, [PART_QUESTION], system, result)
            task.advance(tokens=result.generated_tokens - before)
        grounded = zip(gists, part_texts, strict=True)
        result.parts = [gist if grounded_in(gist, part) else "" for gist, part in grounded]
        source = "\n\n".join(g for g in result.parts if g)
        if not source:
            task.done()
            return result
    before = result.generated_tokens
    answers = _ask(loaded, cache, source, list(QUESTIONS.values()), system, result)
    for kind, answer in zip(QUESTIONS, answers, strict=True):
        if answer and grounded_in(answer, text):
            result.answers[kind] = answer
    task.advance(tokens=result.generated_tokens - before)
    task.done()
    return result


def _ask(
    loaded: LoadedModel, cache: GenerationCache, source: str, questions: list[str], system: str | None,
    result: ReaderAnswers,
) -> list[str]:  # fmt: skip
    """The reader's answers to `questions` with `source` in the window, in the icl layout: one reading of the
    shared prompt start, cached answers reused."""
    tokenizer = loaded.tokenizer
    room = max(question_overhead(tokenizer, q, system) for q in questions)
    prompts = [
        build_prompt_ids(tokenizer, q, "icl", source, loaded.window, MAX_NEW_TOKENS, system, room_for=room)
        for q in questions
    ]
    keys = [
        generation_key(kind=READER_VERSION, model=loaded.name, max_new_tokens=MAX_NEW_TOKENS,
                       prompt=hashlib.sha256(str(p).encode()).hexdigest())
        for p in prompts
    ]  # fmt: skip
    found = cache.get_many(keys)
    missing = [i for i, key in enumerate(keys) if key not in found]
    if missing:
        asked = [prompts[i] for i in missing]
        shared = shared_prefix_length(asked)
        written = [c for batch in generate_after_prefix(loaded.model, tokenizer, asked, MAX_NEW_TOKENS, shared)
                   for c in batch]  # fmt: skip
        result.generated_tokens += sum(c.tokens for c in written)
        fresh = {keys[i]: c.text.strip() for i, c in zip(missing, written, strict=True)}
        cache.put_many(READER_VERSION, fresh)
        found.update(fresh)
    return [first_sentences(found[key]) for key in keys]


def first_sentences(answer: str) -> str:
    """A reader's answer cut to whole sentences, at most MAX_SENTENCES, and before the first one that says again
    what an earlier one said (a small reader loops: "... both effective and effective. It also ...")."""
    kept: list[str] = []
    said: set[str] = set()
    for sentence in split_sentences(whole_sentences(answer))[:MAX_SENTENCES]:
        words = content_words(sentence)
        if not words or sum(w in said for w in words) >= REPEATED * len(words) or len(set(words)) < 0.75 * len(words):
            break
        kept.append(sentence.strip())
        said.update(words)
    return " ".join(kept)


def grounded_in(answer: str, source: str) -> bool:
    """Whether MIN_OVERLAP of the answer's content words, the reader's META words aside, occur in the source."""
    words = [w for w in content_words(answer) if w not in META]
    return answer_overlap(" ".join(words), source) >= MIN_OVERLAP
