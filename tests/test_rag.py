"""The retrieval baseline: chunks fit the embedder, both rankers find the passage that answers."""

import pytest

from lift.config import LiftConfig, RagConfig
from lift.errors import LiftError
from lift.infer import answer_question
from lift.infer.rag import EMBEDDER_MAX_TOKENS, Retriever, chunk_document, embed, embedder_tokenizer

FILLER = [
    f"Chapter {i} describes the weather in a quiet mountain village, where farmers grow potatoes and barley."
    for i in range(40)
]
NEEDLE = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
TEXT = " ".join(FILLER[:23] + [NEEDLE] + FILLER[23:])


def word_pieces(text: str) -> int:
    return len(embedder_tokenizer()(text, add_special_tokens=False)["input_ids"])


def test_chunks_are_whole_sentences_that_fit_the_embedder():
    chunks = chunk_document(TEXT, 60)
    assert len(chunks) > 5
    assert all(word_pieces(c) <= 60 for c in chunks)
    assert " ".join(chunks) == TEXT  # nothing lost, nothing reordered
    assert any(c.startswith(NEEDLE) or f" {NEEDLE}" in c for c in chunks)


def test_an_over_long_sentence_is_cut_by_words():
    long_sentence = " ".join(["word"] * 500) + "."
    chunks = chunk_document(long_sentence, 100)
    assert len(chunks) >= 5 and all(word_pieces(c) <= 100 for c in chunks)
    assert all(word_pieces(c) < EMBEDDER_MAX_TOKENS for c in chunk_document(long_sentence, 254))


def test_embeddings_are_unit_vectors_and_similar_texts_are_closer():
    vectors = embed(["a cat sits on the mat", "a kitten rests on a rug", "tax law of 1998"])
    assert vectors.shape == (3, 384)
    assert vectors.norm(dim=-1).sub(1).abs().max() < 1e-4
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@pytest.mark.parametrize("kind", ["minilm", "bm25"])
def test_both_rankers_put_the_answering_chunk_first(kind):
    retriever = Retriever(TEXT, kind, 60)
    assert NEEDLE in retriever.top("What is the best thing to do in San Francisco?", 3)[0]
    assert len(retriever.top("anything", 100)) == len(retriever.chunks)
    assert retriever.top("the of and", 2)  # stopwords only still returns chunks


def test_unknown_retriever_and_empty_document():
    with pytest.raises(LiftError, match="unknown retriever"):
        Retriever(TEXT, "tfidf", 60)
    with pytest.raises(LiftError, match="no text"):
        Retriever("   ", "bm25", 60)


def test_rag_mode_puts_only_the_top_chunks_in_the_prompt(tiny):
    kwargs = {"document": TEXT, "window": tiny.window, "max_new_tokens": 2}
    question = "What is the best thing to do in San Francisco?"
    rag = answer_question(tiny.model, tiny.tokenizer, question, "rag_bm25", rag=RagConfig(60, 1), **kwargs)
    more = answer_question(tiny.model, tiny.tokenizer, question, "rag_bm25", rag=RagConfig(60, 3), **kwargs)
    no_context = answer_question(tiny.model, tiny.tokenizer, question, "no_context", **kwargs)
    assert no_context.prompt_tokens < rag.prompt_tokens < more.prompt_tokens


def test_list_settings_from_the_command_line():
    config = LiftConfig().with_overrides({"eval.niah_lengths": "1000, 2000", "eval.niah_depths": "0,50"})
    assert config.eval.niah_lengths == [1000, 2000] and config.eval.niah_depths == [0, 50]
    with pytest.raises(LiftError, match="niah_lengths"):
        LiftConfig().with_overrides({"eval.niah_lengths": "10"})
    with pytest.raises(LiftError, match="rag.chunk_tokens"):
        LiftConfig().with_overrides({"rag.chunk_tokens": 300})
