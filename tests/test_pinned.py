"""Pinned behaviour of one whole lift on the tiny model (torchtune-style): the exact per-epoch losses and the
synthesis counts, with the pipeline and without it. A refactor of the central path must leave these unchanged;
a change that alters them on purpose updates the numbers here in the same commit and says why."""

import json

import pytest

from lift.config import LiftConfig
from lift.recipe import lift_document
from lift.text.documents import document_from_text

DOC = (
    "Alice founded the Rivergate bakery in Lisbon in 2004. The bakery is famous for its orange cake with almonds. "
    "Every Sunday the queue reaches the old tram stop near the Castle of Saint George. "
    "Her brother Tomas runs the delivery service on bicycles. Ok then. "
    "The bicycles of Tomas came from Bruno in Porto, and Bruno still fixes them. "
    "The secret code of the blue castle is zebra seven."
)
SETTINGS = {
    "train.epochs": 3,
    "train.precision": "fp32",  # bf16 rounding depends on the CPU; fp32 pins the same numbers everywhere
    "train.batch_tokens": 96,
    "train.replay_ratio": 0.5,
    "train.replay_max_tokens": 8,
    "distill.replay_weight": 0.0,  # replay learned by cross-entropy, as before issue M
    "train.pipeline_window": 4,
    "synth.qa_per_sentence": 3,
    "synth.aux_tasks": 2,
    "synth.aux_window_sentences": 4,
    # the recipe these numbers were pinned on, before mix / wh+about forms / min_steps became the defaults
    "train.objective": "qa",
    "synth.template_forms": ["definition", "key_phrase", "cloze", "succession"],
    "train.min_steps": 0,
    # defaults of that time that issue K changed, spelled out so that these numbers stay
    "train.lr": 1e-3,
    "lora.rank": 8,
    "lora.alpha": 16,
    "infer.system_prompt": "You are a helpful assistant.",
}
PINNED_SYNTHESIS = {
    "sentences": 7,
    "sentences_skipped_short": 1,
    "jobs": 8,
    "aux_windows": 2,
    "generations": 8,
    "cache_hits": 0,
    "requests": 8,
    "retried": 0,
    "failed": 0,
    "request_failures": {},
    "generator_tokens_in": 0,
    "generator_tokens_out": 0,
    "qa_pairs_parsed": 18,
    "qa_pairs_kept": 18,
    "aux_pairs_kept": 1,
    "rejected": {"malformed_output": 1},
    "grounding_rate": 1.0,
    "strict_grounding_rate": 1.0,
}
TRAINING = {"examples": 27, "qa_examples": 18, "replay_examples": 9, "steps": 81, "tokens": 7698}
# The pipeline's numbers moved once on purpose (issue M, 2026-12-04): its first epoch's learning rate decays over
# an estimate of the examples to come, which counted m pairs for every sentence; it now counts the template's own
# pairs, so the streamed epoch's rate follows the right total (was 6.57006, 6.11827, 5.85135 here; 6.73172,
# 6.07773, 5.59271, 5.32347 and 6.1831, 4.33568 below). The runs without the pipeline are unchanged.
PINNED = {
    True: {"training": TRAINING, "loss": [6.57061, 6.12417, 5.85759]},  # the first epoch packs as pairs arrive
    False: {"training": TRAINING, "loss": [6.56311, 6.10347, 5.84186]},
}


@pytest.mark.parametrize("pipeline", [True, False], ids=["pipeline", "no-pipeline"])
def test_a_lift_on_the_tiny_model_gives_the_pinned_losses_and_counts(tiny, lift_home, pipeline):
    config = LiftConfig().with_overrides({**SETTINGS, "train.pipeline": pipeline})
    entry = lift_document(document_from_text(DOC, title="pinned"), tiny, config, home=lift_home).entry
    manifest = json.loads((entry.path / "manifest.json").read_text(encoding="utf-8"))  # the record on disk
    synthesis = {k: v for k, v in manifest["synthesis"].items() if k != "seconds"}
    training = {k: manifest["training"][k] for k in ("examples", "qa_examples", "replay_examples", "steps", "tokens")}
    assert synthesis == PINNED_SYNTHESIS
    assert training == PINNED[pipeline]["training"]
    assert manifest["training"]["loss_per_epoch"] == pytest.approx(PINNED[pipeline]["loss"], rel=1e-5, abs=1e-5)


# The default recipe of 2026-12-03 (main at 2dc9376, before issue K): mix of 256-token segments and QA, the six
# template forms with m = 6, and at least 100 optimizer steps. Pinned before issue L's refactor; the settings are
# spelled out, so later changes of the defaults leave this pin as it is.
DEFAULTS_2026_12_03 = {
    "train.epochs": 4,
    "train.precision": "fp32",
    "train.batch_tokens": 96,
    "train.replay_ratio": 0.3,
    "train.replay_max_tokens": 8,
    "distill.replay_weight": 0.0,
    "train.pipeline_window": 4,
    "train.objective": "mix",
    "train.segment_tokens": 0,
    "train.min_steps": 100,
    "train.lr": 1e-3,  # what None meant then (the lora default)
    "synth.qa_per_sentence": 6,
    "synth.template_forms": ["definition", "wh", "about", "key_phrase", "cloze", "succession"],
    "synth.aux_tasks": 0,
    "lora.rank": 8,
    "lora.alpha": 16,
    "infer.system_prompt": "You are a helpful assistant.",
}
_DEFAULTS_COUNTS = {
    "synthesis": {"qa_pairs_parsed": 32, "qa_pairs_kept": 30, "rejected": {"duplicate": 2}},
    "training": {
        "examples": 39, "qa_examples": 30, "replay_examples": 8, "epochs": 4, "steps": 156, "tokens": 15856,
        "segments": 1,
    },
}  # fmt: skip
PINNED_DEFAULTS = {
    True: {**_DEFAULTS_COUNTS, "loss": [6.73276, 6.08646, 5.60176, 5.33212]},
    False: {**_DEFAULTS_COUNTS, "loss": [6.7101, 6.08182, 5.58686, 5.31908]},
}


def _lift_record(tiny, home, settings: dict, pipeline: bool) -> dict:
    """One lift of DOC with these settings: its synthesis and training counts and its per-epoch losses."""
    config = LiftConfig().with_overrides({**settings, "train.pipeline": pipeline})
    entry = lift_document(document_from_text(DOC, title="pinned"), tiny, config, home=home).entry
    manifest = json.loads((entry.path / "manifest.json").read_text(encoding="utf-8"))  # the record on disk
    keys = ("examples", "qa_examples", "replay_examples", "epochs", "steps", "tokens", "segments")
    return {
        "synthesis": {k: manifest["synthesis"][k] for k in ("qa_pairs_parsed", "qa_pairs_kept", "rejected")},
        "training": {k: manifest["training"][k] for k in keys},
        "loss": manifest["training"]["loss_per_epoch"],
    }


def _assert_pinned(got: dict, expected: dict) -> None:
    assert got["synthesis"] == expected["synthesis"]
    assert got["training"] == expected["training"]
    assert got["loss"] == pytest.approx(expected["loss"], rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("pipeline", [True, False], ids=["pipeline", "no-pipeline"])
def test_the_2026_12_03_default_recipe_gives_its_pinned_losses_and_counts(tiny, lift_home, pipeline):
    _assert_pinned(_lift_record(tiny, lift_home, DEFAULTS_2026_12_03, pipeline), PINNED_DEFAULTS[pipeline])


# The default recipe of issue K (2026-12-03, evening): the phrase forms ask, cue, yes_no (m = 6, one pair per 4
# words), qa, 2 epochs, LoRA rank 32 at lr 3e-3, replay 0.15, an empty system turn. Spelled out like the pin above.
DEFAULTS_K = {
    "train.epochs": 2,
    "train.precision": "fp32",
    "train.batch_tokens": 96,
    "train.replay_ratio": 0.15,
    "train.replay_max_tokens": 8,
    "distill.replay_weight": 0.0,
    "train.pipeline_window": 4,
    "train.objective": "qa",
    "train.min_steps": 0,
    "train.lr": 3e-3,
    "synth.qa_per_sentence": 6,
    "synth.template_forms": ["ask", "cue", "yes_no"],
    "synth.aux_tasks": 0,
    "synth.reask": 0,  # issue O made 1 the default
    "lora.rank": 32,
    "lora.alpha": 64,
    "infer.system_prompt": "",
    "infer.base_system_prompt": "You are a helpful assistant.",
}
_K_SYNTHESIS = {"qa_pairs_parsed": 26, "qa_pairs_kept": 26, "rejected": {}}
_K_TRAINING = {"examples": 29, "qa_examples": 26, "replay_examples": 3, "epochs": 2, "tokens": 5252, "segments": 0}
PINNED_K = {  # the replay answers come with the base model's own system message (infer.base_system_prompt)
    True: {"synthesis": _K_SYNTHESIS, "training": {**_K_TRAINING, "steps": 58}, "loss": [6.2055, 4.38246]},
    False: {"synthesis": _K_SYNTHESIS, "training": {**_K_TRAINING, "steps": 57}, "loss": [6.13726, 4.34708]},
}


@pytest.mark.parametrize("pipeline", [True, False], ids=["pipeline", "no-pipeline"])
def test_issue_ks_default_recipe_gives_its_pinned_losses_and_counts(tiny, lift_home, pipeline):
    _assert_pinned(_lift_record(tiny, lift_home, DEFAULTS_K, pipeline), PINNED_K[pipeline])


# The default recipe of issue M (2026-12-04): K's recipe with half a replay example per QA example, learned by
# distillation toward the base model's top-20 next-token distribution (no document in its window).
DEFAULTS_M = {**DEFAULTS_K, "train.replay_ratio": 0.5, "distill.replay_weight": 1.0}
_M_TRAINING = {"examples": 39, "qa_examples": 26, "replay_examples": 13, "epochs": 2, "tokens": 6208, "segments": 0}
PINNED_M = {  # the replay examples' loss is a KL (lower than cross-entropy on a sampled answer)
    True: {"synthesis": _K_SYNTHESIS, "training": {**_M_TRAINING, "steps": 74}, "loss": [4.71822, 3.28871]},
    False: {"synthesis": _K_SYNTHESIS, "training": {**_M_TRAINING, "steps": 75}, "loss": [4.50163, 3.19187]},
}


@pytest.mark.parametrize("pipeline", [True, False], ids=["pipeline", "no-pipeline"])
def test_issue_ms_default_recipe_gives_its_pinned_losses_and_counts(tiny, lift_home, pipeline):
    _assert_pinned(_lift_record(tiny, lift_home, DEFAULTS_M, pipeline), PINNED_M[pipeline])


# The default recipe of issue O (2026-12-07): M's recipe with one other wording of every ask question
# (synth.reask 1: indirect, a request, inside a longer message, a terse query), trained with the same answer.
DEFAULTS_O = {**DEFAULTS_M, "synth.reask": 1}
_O_SYNTHESIS = {"qa_pairs_parsed": 38, "qa_pairs_kept": 38, "rejected": {}}  # 12 wordings on top of K's 26
_O_TRAINING = {"examples": 57, "qa_examples": 38, "replay_examples": 19, "epochs": 2, "tokens": 9268, "segments": 0}
PINNED_O = {
    True: {"synthesis": _O_SYNTHESIS, "training": {**_O_TRAINING, "steps": 111}, "loss": [4.32463, 2.91455]},
    False: {"synthesis": _O_SYNTHESIS, "training": {**_O_TRAINING, "steps": 107}, "loss": [4.29708, 2.76427]},
}


@pytest.mark.parametrize("pipeline", [True, False], ids=["pipeline", "no-pipeline"])
def test_issue_os_default_recipe_gives_its_pinned_losses_and_counts(tiny, lift_home, pipeline):
    _assert_pinned(_lift_record(tiny, lift_home, DEFAULTS_O, pipeline), PINNED_O[pipeline])
