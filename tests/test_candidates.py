"""infer.beams: the adapter's answer chosen among its beam-search answers by closeness to the question."""

import time

import pytest
import torch

from lift.adapters import load_adapter
from lift.config import LiftConfig
from lift.errors import LiftError
from lift.infer import answer_question, build_prompt_ids
from lift.infer import candidates as candidates_module
from lift.infer.candidates import Candidate, Choosing, beam_candidates, choose, chosen_batch
from lift.infer.generation import Continuation, generate_batch
from lift.serve.engine import ChatEngine, ChatJob

QUESTION = "Where did the keeper hide the spare key?"


def _candidate(text: str, log_prob: float) -> Candidate:
    return Candidate(Continuation(text, len(text.split()), True), log_prob)


def test_the_kept_answer_is_the_closest_to_the_question_plus_the_weighted_log_probability(monkeypatch):
    vectors = {"q": [1.0, 0.0], "near": [0.8, 0.6], "far": [0.0, 1.0], "mid": [0.6, 0.8]}
    monkeypatch.setattr(candidates_module, "embed", lambda texts: torch.tensor([vectors[t] for t in texts]))
    row = [_candidate("far", -0.1), _candidate("mid", -0.3), _candidate("near", -0.9)]
    # similarity + weight x log-probability: weight 0 -> near (0.8); weight 1 -> mid (0.6 - 0.3 = 0.3 against
    # near's -0.1 and far's -0.1); weight 10 -> far, the most probable
    assert [choose(["q"], [row], Choosing(w))[0].continuation.text for w in (0.0, 1.0, 10.0)] == ["near", "mid", "far"]


def test_a_beam_that_only_repeats_the_question_is_not_kept_while_another_answers(monkeypatch):
    """The NIAH 8k cell with 6 beams: the kept beam was the question itself, closest to it by construction."""
    asked = "What is the best thing to do in San Francisco?"
    echo, answer = "The best thing to do in San Francisco?", "Eat a sandwich in Dolores Park on a sunny day."
    vectors = {asked: [1.0, 0.0], echo: [1.0, 0.0], answer: [0.6, 0.8], "It is in San Francisco.": [0.9, 0.1]}
    monkeypatch.setattr(candidates_module, "embed", lambda texts: torch.tensor([vectors[t] for t in texts]))
    row = [_candidate(echo, -0.2), _candidate(answer, -0.5)]
    assert choose([asked], [row], Choosing())[0].continuation.text == answer
    only_echoes = [_candidate("It is in San Francisco.", -0.4), _candidate(echo, -0.1)]
    assert choose([asked], [only_echoes], Choosing())[0].continuation.text == echo  # none answers: the best of them
    assert candidates_module.repeats(asked, "The best thing: it is the best thing to do in San Francisco.")
    assert not candidates_module.repeats(asked, answer)


def test_novelty_keeps_the_answer_over_a_beam_that_restates_the_question_with_a_word_changed(monkeypatch):
    """Rewording dev, seed 0: the kept beam restated the question with one word changed ("hit" -> "killed"),
    closer to it than the beams that answered."""
    asked = ("I remember that Kelvane had a disaster during routine maintenance that hit every customer's photos. "
             "How did they ultimately get the data back?")  # fmt: skip
    restated = "By Kelvane had a disaster during routine maintenance that killed every customer's photos."
    answer = "Kelvane deleted every user's albums during routine maintenance, recovering them only from a backup."
    vectors = {asked: [1.0, 0.0], restated: [0.73, 0.683], answer: [0.56, 0.828]}
    monkeypatch.setattr(candidates_module, "embed", lambda texts: torch.tensor([vectors[t] for t in texts]))
    row = [_candidate(answer, -0.15), _candidate(restated, -0.25)]
    assert not candidates_module.repeats(asked, restated)  # "killed" is new: the repeat filter keeps it
    assert candidates_module.new_share(asked, restated) == pytest.approx(1 / 11)
    assert candidates_module.new_share(asked, answer) == pytest.approx(7 / 13)
    assert choose([asked], [row], Choosing())[0].continuation.text == restated
    assert choose([asked], [row], Choosing(novelty=0.5))[0].continuation.text == answer
    assert candidates_module.new_share(asked, "the a of") == 0.0  # no content word: nothing new


def test_beam_answers_come_best_first_the_same_in_a_batch_as_alone(tiny):
    prompts = [build_prompt_ids(tiny.tokenizer, q, "no_context", None, tiny.window, 8, "") for q in (QUESTION, "Hi?")]
    rows = beam_candidates(tiny.model, tiny.tokenizer, prompts, 8, beams=3)
    assert [len(row) for row in rows] == [3, 3]
    for row in rows:
        scores = [c.log_prob for c in row]
        assert scores == sorted(scores, reverse=True) and all(s <= 0 for s in scores)
    alone = [beam_candidates(tiny.model, tiny.tokenizer, [p], 8, beams=3)[0] for p in prompts]
    assert [[c.continuation.text for c in row] for row in alone] == [[c.continuation.text for c in r] for r in rows]


def test_lift_only_keeps_the_chosen_beam_and_the_other_modes_stay_greedy(tiny, lift_home):
    from conftest import lifted_entry

    entry = lifted_entry(tiny, lift_home)
    adapter = load_adapter(tiny.model, entry.adapter_dir)
    try:
        kwargs = {"window": tiny.window, "max_new_tokens": 8, "system": ""}
        prompt = build_prompt_ids(tiny.tokenizer, QUESTION, "lift_only", None, tiny.window, 8, "")
        beams = beam_candidates(adapter.model, tiny.tokenizer, [prompt], 8, 4)
        expected = choose([QUESTION], beams, Choosing.of(LiftConfig().infer))[0].continuation.text
        assert answer_question(adapter, tiny.tokenizer, QUESTION, "lift_only", beams=4, **kwargs).text == expected
        greedy = generate_batch(adapter.model, tiny.tokenizer, [prompt], 8)[0]
        assert expected != greedy  # the choice changes this answer
        assert answer_question(adapter, tiny.tokenizer, QUESTION, "lift_only", beams=1, **kwargs).text == greedy
        icl = answer_question(adapter, tiny.tokenizer, QUESTION, "lift_icl", document="The key is under a pot.",
                              beams=4, **kwargs)  # fmt: skip
        assert (
            icl.text
            == answer_question(
                adapter, tiny.tokenizer, QUESTION, "lift_icl", document="The key is under a pot.", **kwargs
            ).text
        )
    finally:
        adapter.unload()


def test_a_batch_of_prompts_keeps_each_prompts_own_choice(tiny):
    questions = [QUESTION, "Who kept the lighthouse?", "When did the ferry sink?"]
    prompts = [build_prompt_ids(tiny.tokenizer, q, "no_context", None, tiny.window, 8, "") for q in questions]
    together = chosen_batch(tiny.model, tiny.tokenizer, prompts, questions, 8, beams=3, choosing=Choosing())
    alone = [
        chosen_batch(tiny.model, tiny.tokenizer, [p], [q], 8, 3, Choosing())[0]
        for p, q in zip(prompts, questions, strict=True)
    ]
    assert together == alone


def test_the_server_sends_the_chosen_answer_streamed_or_not(tiny, lift_home):
    from conftest import lifted_entry

    entry = lifted_entry(tiny, lift_home)
    config = LiftConfig().with_overrides({"infer.beams": 4})
    adapter = load_adapter(tiny.model, entry.adapter_dir)
    try:
        expected = answer_question(adapter, tiny.tokenizer, QUESTION, "lift_only", window=tiny.window,
                                   max_new_tokens=8, system=config.infer.system_prompt, beams=4).text  # fmt: skip
    finally:
        adapter.unload()
    engine = ChatEngine(tiny, config).start()
    try:
        for stream in (False, True):
            job = engine.prepare(ChatJob([], QUESTION, entry, "lift_only", 8, time.monotonic() + 60, stream))
            result = engine.submit(job).result(timeout=60)
            assert result.text == expected
            if stream:
                assert "".join(job.streamer).strip() == expected
    finally:
        engine.close()


def test_the_default_chooses_among_6_beams_and_beams_out_of_range_are_refused():
    infer = LiftConfig().infer
    assert (infer.beams, infer.choice_weight, infer.novelty_weight) == (6, 1.0, 0.5)  # issue O, three dev seeds
    with pytest.raises(LiftError, match="infer.beams"):
        LiftConfig().with_overrides({"infer.beams": 0})


def test_eval_answers_lift_only_with_the_chosen_beam_on_the_adapter_already_lifted(tiny, tmp_path, lift_home):
    from lift.eval.runner import run_eval
    from lift.store import Store
    from test_eval_runner import FAST, items

    asked = items()[:2]  # two questions about one document
    config = LiftConfig().with_overrides({**FAST, "infer.max_new_tokens": 8, "infer.beams": 1})
    greedy = run_eval(asked, ["lift_only"], tiny, config, tmp_path / "greedy", home=lift_home)
    beams = config.with_overrides({"infer.beams": 3})
    chosen = run_eval(asked, ["lift_only", "icl"], tiny, beams, tmp_path / "beams", home=lift_home)
    assert chosen.lifted == 0 and chosen.reused == 1  # an answering setting: the stored adapter answers
    entry = Store(lift_home).get(asked[0].document.doc_id)
    adapter = load_adapter(tiny.model, entry.adapter_dir)
    try:
        kwargs = {"window": tiny.window, "max_new_tokens": 8, "system": beams.infer.system_prompt, "beams": 3}
        expected = [answer_question(adapter, tiny.tokenizer, i.question, "lift_only", **kwargs).text for i in asked]
    finally:
        adapter.unload()
    assert [r.prediction for r in chosen.rows if r.mode == "lift_only"] == expected
    assert expected != [r.prediction for r in greedy.rows]


def test_one_beam_is_the_greedy_answer_in_every_chosen_function_and_only_chosen_modes_get_more(tiny):
    from lift.infer.candidates import beams_for, chosen_after_prefix, chosen_after_reading, chosen_rows
    from lift.infer.generation import read_into_cache, shared_prefix_length

    assert [beams_for(m, 6) for m in ("lift_only", "lift_icl", "icl", "rag", "no_context")] == [6, 1, 1, 1, 1]
    document = " ".join(["The keeper hid the spare key under the third flowerpot by the lighthouse door."] * 6)
    questions = [QUESTION, "Who kept the lighthouse?"]
    prompts = [build_prompt_ids(tiny.tokenizer, q, "icl", document, 512, 8, None) for q in questions]
    greedy = [generate_batch(tiny.model, tiny.tokenizer, [p], 8)[0] for p in prompts]
    assert chosen_batch(tiny.model, tiny.tokenizer, prompts, questions, 8, 1, Choosing()) == greedy
    rows = chosen_rows(tiny.model, tiny.tokenizer, prompts[:1], questions[:1], 8, 1, Choosing())
    assert [c.text for c in rows] == greedy[:1]
    shared = shared_prefix_length(prompts)
    after = chosen_after_prefix(tiny.model, tiny.tokenizer, prompts, questions, 8, shared, 1, Choosing(), batch_size=2)
    assert [c.text for batch in after for c in batch] == greedy
    reading = read_into_cache(tiny.model, prompts[0][:shared])
    one = chosen_after_reading(tiny.model, tiny.tokenizer, prompts[0], questions[0], reading, 8, 1, Choosing())
    assert one.text == greedy[0]


def test_chosen_answers_after_a_shared_prefix_are_those_of_the_whole_prompts(tiny):
    from lift.infer.candidates import chosen_after_prefix
    from lift.infer.generation import shared_prefix_length

    document = " ".join(["The keeper hid the spare key under the third flowerpot by the lighthouse door."] * 8)
    questions = [QUESTION, "Who kept the lighthouse?", "What does the text say about the door and the key?"]
    prompts = [build_prompt_ids(tiny.tokenizer, q, "icl", document, 512, 8, None) for q in questions]
    shared = shared_prefix_length(prompts)
    assert shared > 100
    pairs = zip(prompts, questions, strict=True)
    whole = [chosen_batch(tiny.model, tiny.tokenizer, [p], [q], 8, 3, Choosing())[0] for p, q in pairs]
    for batch_size in (1, 3):  # tails of different lengths padded in one batch, and a batch of one
        batches = list(chosen_after_prefix(tiny.model, tiny.tokenizer, prompts, questions, 8, shared, 3, Choosing(),
                                           batch_size=batch_size))  # fmt: skip
        assert [len(b) for b in batches] == {1: [1, 1, 1], 3: [3]}[batch_size]
        assert [c.text for batch in batches for c in batch] == whole
    greedy = [generate_batch(tiny.model, tiny.tokenizer, [p], 8)[0] for p in prompts]
    assert whole != greedy  # the beams and the choice change these answers


@pytest.mark.parametrize("reading", ["frozen", "adapter"])
def test_lift_icl_when_chosen_is_the_same_in_eval_ask_and_serve(tiny, lift_home, monkeypatch, reading):
    """lift_icl answered by the choice among beams (when CHOSEN_MODES holds it): the eval runner (the cut read
    once for every question), answer_question and the server (the cut's reading kept) give the same answers, on
    a frozen reading and on the adapter's own."""
    from lift.eval.items import EvalItem
    from lift.eval.runner import run_eval
    from lift.recipe import lift_document
    from lift.text.documents import document_from_text

    monkeypatch.setattr(candidates_module, "CHOSEN_MODES", ("lift_only", "lift_icl"))
    document = document_from_text("The keeper hid the spare key under the third flowerpot by the door. " * 4)
    settings = {"train.epochs": 1, "train.min_steps": 0, "train.replay_ratio": 0.0, "train.batch_tokens": 128,
                "train.qa_context_share": 1.0, "train.context_reading": "frozen", "infer.gate": False,
                "infer.max_new_tokens": 8, "infer.beams": 3, "infer.lift_icl_reading": reading}  # fmt: skip
    config = LiftConfig().with_overrides(settings)
    entry = lift_document(document, tiny, config, home=lift_home).entry
    questions = [QUESTION, "Who kept the lighthouse?"]
    items = [EvalItem("custom", str(i), document, q, ["x"], ("f1",)) for i, q in enumerate(questions)]
    result = run_eval(items, ["lift_icl"], tiny, config, lift_home / "e", home=lift_home)
    evaluated = [r.prediction for r in result.rows]
    adapter = load_adapter(tiny.model, entry.adapter_dir)
    try:
        kwargs = {"document": document.text, "window": tiny.window, "max_new_tokens": 8, "system": "",
                  "frozen": reading == "frozen"}  # fmt: skip
        asked = [answer_question(adapter, tiny.tokenizer, q, "lift_icl", beams=3, **kwargs).text for q in questions]
        greedy = [answer_question(adapter, tiny.tokenizer, q, "lift_icl", **kwargs).text for q in questions]
    finally:
        adapter.unload()
    engine = ChatEngine(tiny, config).start()
    try:
        served = []
        for question in questions:
            job = engine.prepare(ChatJob([], question, entry, "lift_icl", 8, time.monotonic() + 60, True))
            served.append(engine.submit(job).result(timeout=60).text)
            assert "".join(job.streamer).strip() == served[-1]
        assert engine.readings_made == 1
    finally:
        engine.close()
    assert evaluated == asked == served
    assert asked != greedy  # the choice changes these answers
