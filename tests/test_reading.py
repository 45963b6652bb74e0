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


def test_frozen_rows_read_the_cut_once_and_each_question_continues_it(tiny):
    from lift.data.reading import FrozenRows
    from lift.data.tasks import ExampleMaker
    from lift.infer.modes import reading_length

    tok = tiny.tokenizer
    rows = FrozenRows(tok, DOCUMENT, "", 512, context_tokens=200)
    reading = tok.decode(rows.reading)
    assert "HEADMARK" in reading and "TAILMARK" in reading and "Answer the question" not in reading
    example = rows.add("Where is Paris?", "In France.")
    assert rows.flush() is None and example.reading == 0 and example.offset == len(rows.reading)
    # reading + example is the lift_icl prompt with this cut, then the answer; the reading ends with the document
    prompt = build_prompt_ids(tok, "Where is Paris?", "lift_icl", DOCUMENT, 512, 64, "", context_tokens=200)
    assert rows.reading + example.input_ids[: len(prompt) - len(rows.reading)] == prompt
    assert reading_length(tok, prompt) == len(rows.reading)
    assert _answers(tok, example) == ["In France.<|im_end|>"] and "HEADMARK" not in tok.decode(example.input_ids)

    settings = {"train.replay_ratio": 0, "train.qa_context_share": 1.0, "train.context_reading": "frozen"}
    maker = ExampleMaker(tok, LiftConfig().with_overrides(settings), [], 512, document=DOCUMENT)
    pairs = [QAPair(f"Question {i}?", f"Answer {i}.", i, order=(i, 0)) for i in range(5)]
    made = [e for _, e in maker.stream(pairs)]
    assert maker.context_examples == 5 and maker.expected(5) == 10  # one example per question asked in context
    assert [e.reading for e in made].count(0) == 5 and len(maker.readings()) == 1
    assert "HEADMARK" in tok.decode(maker.readings()[0])
    with pytest.raises(Exception, match="train.context_reading must be one of"):
        LiftConfig().with_overrides({"train.context_reading": "both"})


def test_a_lift_on_a_frozen_reading_trains_and_answers_lift_icl_on_the_same_reading(tiny, lift_home, monkeypatch):
    import lift.eval.runner as runner
    import lift.infer.candidates as candidates
    from lift.eval.items import EvalItem
    from lift.eval.runner import run_eval
    from lift.recipe import lift_document
    from lift.text.documents import document_from_text

    document = document_from_text("The miller of Orrin keeps the mill key under a flat stone by the door. " * 4)
    settings = {
        "train.epochs": 1, "train.min_steps": 0, "train.replay_ratio": 0.0, "train.batch_tokens": 128,
        "train.qa_context_share": 1.0, "train.context_reading": "frozen", "infer.max_new_tokens": 4,
    }  # fmt: skip
    config = LiftConfig().with_overrides(settings)
    lifted = lift_document(document, tiny, config, home=lift_home)
    assert lifted.manifest.training.examples > 0
    calls = []
    real = candidates.generate_after_prefix
    monkeypatch.setattr(candidates, "generate_after_prefix", lambda *a, **k: calls.append(a) or real(*a, **k))
    items = [EvalItem("custom", str(i), document, q, ["x"], ("f1",)) for i, q in enumerate(("Where?", "Who?"))]
    run_eval(items, ["lift_icl"], tiny, config, lift_home / "eval", home=lift_home)
    (call,) = calls  # the two questions after one reading of the document, read with the adapter off
    assert call[6] is not None and call[4] == runner.reading_length(tiny.tokenizer, call[2][0])
    # as vLLM serves it: the adapter reads the document too
    as_vllm = config.with_overrides({"infer.lift_icl_reading": "adapter"})
    run_eval(items, ["lift_icl"], tiny, as_vllm, lift_home / "eval-adapter", home=lift_home)
    assert all(len(c) < 7 or c[6] is None for c in calls[1:])


def test_lift_icl_reads_the_cut_with_the_adapter_off_for_any_adapter_when_asked(tiny, lift_home, monkeypatch):
    import lift.infer.candidates as candidates
    from lift.eval.items import EvalItem
    from lift.eval.runner import run_eval
    from lift.infer.modes import lift_icl_reads_frozen
    from lift.recipe import lift_document
    from lift.text.documents import document_from_text

    plain, frozen = LiftConfig().train, LiftConfig().with_overrides({"train.qa_context_share": 0.5}).train
    frozen.context_reading = "frozen"
    assert [lift_icl_reads_frozen(plain, r) for r in ("as_trained", "adapter", "frozen")] == [False, False, True]
    assert [lift_icl_reads_frozen(frozen, r) for r in ("as_trained", "adapter", "frozen")] == [True, False, True]

    document = document_from_text("The miller of Orrin keeps the mill key under a flat stone by the door. " * 4)
    settings = {"train.epochs": 1, "train.min_steps": 0, "train.replay_ratio": 0.0, "train.batch_tokens": 128,
                "infer.max_new_tokens": 4}  # fmt: skip
    config = LiftConfig().with_overrides(settings)  # no questions trained in context
    lift_document(document, tiny, config, home=lift_home)
    calls = []
    real = candidates.generate_after_prefix
    monkeypatch.setattr(candidates, "generate_after_prefix", lambda *a, **k: calls.append(a) or real(*a, **k))
    items = [EvalItem("custom", str(i), document, q, ["x"], ("f1",)) for i, q in enumerate(("Where?", "Who?"))]
    run_eval(items, ["lift_icl"], tiny, config, lift_home / "eval", home=lift_home)
    assert all(len(c) < 7 or c[6] is None for c in calls)  # as trained: the adapter reads the cut too
    before = len(calls)
    run_eval(items, ["lift_icl"], tiny, config.with_overrides({"infer.lift_icl_reading": "frozen"}),
             lift_home / "eval-frozen", home=lift_home)  # fmt: skip
    (call,) = calls[before:]  # one reading of the cut with the adapter off (its `disabled`), both questions after it
    assert call[6] is not None
