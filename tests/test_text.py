import pytest

from lift.errors import LiftError
from lift.text import read_document, split_sentences, truncate_head_tail
from lift.text.documents import document_from_text


def test_read_document_title_and_stable_id(tmp_path):
    a = tmp_path / "a.md"
    a.write_text("# My Title\n\nFirst sentence here. Second one.\n", encoding="utf-8")
    b = tmp_path / "b.txt"
    b.write_text("# My Title\r\n\r\nFirst sentence here. Second one.", encoding="utf-8")
    doc_a, doc_b = read_document(a), read_document(b)
    assert doc_a.title == "My Title"
    assert doc_a.doc_id == doc_b.doc_id  # same content, whatever the file name and line endings
    assert len(doc_a.doc_id) == 16


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: None, "document not found"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_text(""), "is empty"),
        (lambda p: p.write_text("  \n\t \n"), "is empty"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00"), "looks binary"),
        (lambda p: p.write_bytes("caf\u00e9".encode("latin-1")), "not valid UTF-8"),
    ],
)
def test_bad_documents_raise_one_clear_error(tmp_path, setup, message):
    path = tmp_path / "doc.txt"
    setup(path)
    with pytest.raises(LiftError, match=message):
        read_document(path)


def test_split_sentences_respects_paragraphs():
    text = "Dr. Smith went to Washington. He arrived at 5 p.m. on Monday.\n\nA new paragraph without end"
    assert split_sentences(text) == [
        "Dr. Smith went to Washington.",
        "He arrived at 5 p.m. on Monday.",
        "A new paragraph without end",
    ]


def test_truncate_head_tail():
    tokens = list(range(10))
    assert truncate_head_tail(tokens, 20) == tokens
    assert truncate_head_tail(tokens, 5) == [0, 1, 2, 8, 9]
    assert truncate_head_tail(tokens, 1) == [0]
    assert truncate_head_tail(tokens, 0) == []


def test_document_from_text_normalizes():
    assert document_from_text("  a\r\nb  ").text == "a\nb"


# From the LooGLE sample (Wikipedia, "José Luis Picardo", CC BY-SA): a curly opening quote closed by a straight
# one. pysbd reads everything after it as one quotation: the whole 1,200 characters came back as one sentence.
PICARDO = (
    "Picardo was one of the 24 signatories of the ''Manifiesto de la Alhambra'' of 1952, described as one of "
    '“the most remarkable texts in the histiography of 20th-century Spanish architecture", of which Chueca was '
    "the main instigator. The manifesto collected the reflections of a group of architects (Picardo among them) "
    'and "sought inspiration in the design" of the Alhambra in Granada, Andalucía for "a distinctively Spanish '
    "form of modern architecture\". This inspiration was to guide much of Picardo's work throughout his career. "
    "Its influence, particularly in his work on Paradores, can be clearly seen.. During the 1950s Picardo pursued "
    "his personal architectural ambitions, entering competitions and publishing plans and drawings of "
    "uncommissioned buildings. In 1951 in  company with his fellow architect Carlos de Miguel he designed a centre "
    "for the Cofradía de Pescadores (Fishermen's Brotherhood) of Altea in the province of Alicante which "
    "attracted much attention but remained unbuilt.Picardo, working alone, designed a small hotel which could be "
    'built on the Costa del Sol in Andalucía. He described it as "un modesto parador (a modest inn), resolved in '
    'a simple and attractive way".In competi'
)


def test_an_unbalanced_quote_does_not_swallow_the_rest_of_the_text():
    sentences = split_sentences(PICARDO)
    assert max(len(s) for s in sentences) <= 800
    assert "This inspiration was to guide much of Picardo's work throughout his career." in sentences
    assert "".join(sentences).replace(" ", "") == PICARDO.replace(" ", "")  # nothing lost or reordered


def test_text_without_any_punctuation_is_cut_at_word_boundaries():
    text = " ".join(["word"] * 1000)
    sentences = split_sentences(text)
    assert all(len(s) <= 800 for s in sentences) and " ".join(sentences) == text


def test_re_splitting_a_runaway_segment_keeps_closing_quotes():
    from lift.text.sentences import _split_runaway

    segment = " ".join(f'He said "parador {i} is done." Then he left.' for i in range(40))  # > 800 characters
    parts = _split_runaway(segment)
    assert parts[:2] == ['He said "parador 0 is done."', "Then he left."]
    assert " ".join(parts) == segment
