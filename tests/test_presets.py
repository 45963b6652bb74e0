"""Every training preset, run end to end through lift_document on the tiny model, makes a made-up fact
recallable in the form it trains: QA presets answer the question, segment presets recite the text."""

import pytest

from conftest import fact_question
from lift.adapters import load_adapter
from lift.config import LiftConfig
from lift.infer import answer_question
from lift.infer.generation import generate_batch
from lift.prompting import chat_prompt_ids
from lift.recipe import lift_document
from lift.text.documents import document_from_text

FACT = "The secret code of the blue castle is zebra seven."
DOC = FACT + " The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
TRAIN = {"train.lr": 1e-2, "train.replay_ratio": 0.0, "train.batch_tokens": 128, "train.precision": "fp32"}
TRAIN["infer.gate"] = False  # the auto mode's question gate is tested in test_gate.py


def _lift(tiny, home, objective, epochs, **extra):
    config = LiftConfig().with_overrides({**TRAIN, "train.objective": objective, "train.epochs": epochs, **extra})
    result = lift_document(document_from_text(DOC), tiny, config, home=home)
    return result, load_adapter(tiny.model, result.entry.adapter_dir)


@pytest.mark.parametrize(
    "objective,pipeline", [("qa", False), ("two_stage", True), ("two_stage", False), ("mix", True)]
)
def test_qa_presets_answer_the_question_about_the_fact(tiny, lift_home, objective, pipeline):
    question = fact_question(FACT)
    kwargs = {"window": tiny.window, "max_new_tokens": 16, "system": LiftConfig().infer.system_prompt}
    assert (
        "zebra seven" not in answer_question(tiny.model, tiny.tokenizer, question, "no_context", **kwargs).text.lower()
    )
    result, adapter = _lift(tiny, lift_home, objective, 30, **{"train.pipeline": pipeline})
    training = result.manifest.training
    assert training.objective == objective
    if objective != "qa":
        assert training.segments == 1 and training.qa_examples > 0
    assert "zebra seven" in answer_question(adapter, tiny.tokenizer, question, "lift_only", **kwargs).text.lower()
    if objective == "two_stage":  # one epoch of segments alone, then `epochs` of segments + QA
        assert len(training.loss_per_epoch) == 31 and training.stage1_epochs == 1


def test_segments_preset_recites_the_fact_from_its_first_words(tiny, lift_home):
    prompt = tiny.tokenizer("The secret code of the blue castle is", add_special_tokens=False)["input_ids"]
    result, adapter = _lift(tiny, lift_home, "segments", 40)
    assert result.manifest.synthesis.jobs == 0 and result.manifest.generator is None  # no generation
    assert "zebra seven" in generate_batch(adapter.model, tiny.tokenizer, [prompt], max_new_tokens=6)[0].lower()


def test_contextualized_preset_recites_the_segment_when_asked(tiny, lift_home):
    config = LiftConfig()
    _, adapter = _lift(tiny, lift_home, "contextualized", 40)
    prompt = chat_prompt_ids(tiny.tokenizer, config.train.recite_prompt, config.infer.system_prompt)
    assert generate_batch(adapter.model, tiny.tokenizer, [prompt], max_new_tokens=16)[0].startswith("The secret code")


@pytest.mark.parametrize("kind", ["pissa", "gated_memory"])
def test_other_adapters_lift_through_the_recipe_and_leave_the_base_as_it_was(tiny, lift_home, kind):
    import torch

    before = {n: p.detach().clone() for n, p in tiny.model.named_parameters()}
    question = fact_question(FACT)
    kwargs = {"window": tiny.window, "max_new_tokens": 16, "system": LiftConfig().infer.system_prompt}
    extra = {"adapter.type": kind, "adapter.gate_init_bias": 0.0, "train.lr": 1e-2 if kind == "gated_memory" else 3e-3}
    result, adapter = _lift(tiny, lift_home, "qa", 40, **extra)
    assert result.manifest.adapter.type == kind and result.manifest.adapter.trainable_parameters > 0
    assert "zebra seven" in answer_question(adapter, tiny.tokenizer, question, "lift_only", **kwargs).text.lower()
    adapter.unload()
    for name, p in tiny.model.named_parameters():
        assert torch.equal(p, before[name]), name
