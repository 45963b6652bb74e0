"""QA asked with the document in the window (train.qa_context_share): the rows and their place in training."""

import pytest

from lift.config import LiftConfig
from lift.data.examples import IGNORE_INDEX
from lift.data.reading import ContextRows, asked_in_context
from lift.infer import build_prompt_ids
from lift.synth.types import QAPair

DOCUMENT = "HEADMARK " + " ".join(f"filler{i}" for i in range(400)) + " TAILMARK"


def _answers(tok, example) -> list[str]:
    """The row's trained text, one answer per run of loss tokens."""
    runs, current = [], []
    for token, label in zip(example.input_ids, example.labels, strict=True):
        if label != IGNORE_INDEX:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    return [tok.decode(run) for run in [*runs, current] if run]


def test_a_context_row_is_one_conversation_over_the_cut_that_lift_icl_reads(tiny):
    tok = tiny.tokenizer
    rows = ContextRows(tok, DOCUMENT, None, 512, questions=3)
    assert rows.add("Where is Paris?", "In France.") is None
    assert rows.add("Who?", "Zebra seven.") is None
    row = rows.add("Hello?", "Hello world.")
    assert row is not None and rows.flush() is None
    assert len(row) <= 512
    # the first turn is exactly the lift_icl prompt with this cut of the document, then its answer
    first = build_prompt_ids(tok, "Where is Paris?", "lift_icl", DOCUMENT, 512, 64, None, context_tokens=512 - 64 * 3)
    assert row.input_ids[: len(first)] == first
    text = tok.decode(row.input_ids)
    assert "HEADMARK" in text and "TAILMARK" in text and "filler200" not in text
    assert text.count("HEADMARK") == 1  # read once for the three questions
    assert _answers(tok, row) == ["In France.<|im_end|>", "Zebra seven.<|im_end|>", "Hello world.<|im_end|>"]
    assert "Who?" in text and "Hello?" in text


def test_context_rows_cap_the_cut_and_flush_a_partial_row(tiny):
    tok = tiny.tokenizer
    rows = ContextRows(tok, DOCUMENT, None, 512, questions=4, context_tokens=40)
    assert rows.add("Who?", "Zebra seven.") is None
    row = rows.flush()
    assert row is not None and len(tok(rows.cut)["input_ids"]) <= 42  # re-encoding may shift a token per end
    assert "HEADMARK" in rows.cut and "TAILMARK" in rows.cut
    assert _answers(tok, row) == ["Zebra seven.<|im_end|>"]
    with pytest.raises(ValueError, match="no room"):
        ContextRows(tok, DOCUMENT, None, 512, questions=8)


def test_the_share_of_pairs_asked_in_context_is_drawn_per_pair():
    orders = [(job, number) for job in range(50) for number in range(8)]
    chosen = [order for order in orders if asked_in_context(order, 0.25)]
    assert 0.15 < len(chosen) / len(orders) < 0.35
    assert chosen == [order for order in reversed(orders) if asked_in_context(order, 0.25)][::-1]
    assert not any(asked_in_context(order, 0.0) for order in orders)
    assert all(asked_in_context(order, 1.0) for order in orders)


def test_the_example_maker_adds_context_rows_beside_the_plain_qa(tiny):
    from lift.data.tasks import ExampleMaker

    tok = tiny.tokenizer
    config = LiftConfig().with_overrides(
        {"train.replay_ratio": 0, "train.qa_context_share": 1.0, "train.qa_context_questions": 2}
    )
    maker = ExampleMaker(tok, config, [], 512, document=DOCUMENT)
    pairs = [QAPair(f"Question {i}?", f"Answer {i}.", i, order=(i, 0)) for i in range(5)]
    made = list(maker.stream(pairs))
    plain = [e for key, e in made if key[0] < 5]
    rows = [e for key, e in made if key[0] >= 5]
    assert len(plain) == maker.qa_examples == 5
    assert len(rows) == maker.context_examples == 3  # 2 + 2 + the last one flushed
    assert maker.expected(len(pairs)) == round(5 * (1 + 1.0 / 2))
    assert [_answers(tok, row) for row in rows][-1] == ["Answer 4.<|im_end|>"]
    assert all("HEADMARK" in tok.decode(row.input_ids) for row in rows)
    off = ExampleMaker(tok, LiftConfig().with_overrides({"train.replay_ratio": 0}), [], 512, document=DOCUMENT)
    assert len(list(off.stream(pairs))) == 5 and off.context_examples == 0
