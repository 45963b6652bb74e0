"""The whole lift path on the tiny model: local generation, clean failure, and resume after a kill."""

import pytest

from lift.config import LiftConfig, SynthConfig
from lift.errors import LiftError
from lift.recipe import lift_document
from lift.store import Store
from lift.synth.generate import build_jobs
from lift.synth.local import AUX_PREFILL, PREFILL, LocalGenerator
from lift.text.documents import document_from_text

DOC = (
    "Alice founded the Rivergate bakery in Lisbon in 2004. The bakery is famous for its orange cake with almonds. "
    "Every Sunday the queue reaches the old tram stop. Her brother Tomas runs the delivery service on bicycles."
)
FAST = {
    "train.epochs": 2,
    "train.min_steps": 0,
    "train.replay_ratio": 0.2,
    "train.replay_max_tokens": 8,
    "train.batch_tokens": 64,
}


def test_local_generator_writes_one_output_per_job(tiny):
    generator = LocalGenerator(tiny, qa_per_sentence=2, max_new_tokens=16, batch_size=2)
    sentences = ["First sentence here.", "Second one is here.", "And a third one."]
    config = SynthConfig(qa_per_sentence=2, aux_tasks=1, min_sentence_chars=5)
    jobs = list(build_jobs("sha", sentences, config, generator).jobs)
    outputs = generator.generate(jobs)
    assert [j.kind for j in jobs] == ["sentence", "sentence", "sentence", "aux"]
    assert all(o.startswith(PREFILL) for o in outputs[:3]) and outputs[3].startswith(AUX_PREFILL)
    assert generator.counters.tokens_in > 0 and generator.counters.tokens_out > 0
    assert generator.generator_id == f"local:{tiny.name}"


def test_a_generator_with_no_usable_pairs_fails_cleanly_and_writes_no_entry(tiny, lift_home):
    # a random-init model writes gibberish: every output is malformed
    config = LiftConfig().with_overrides({**FAST, "synth.generator": "local", "synth.local_max_new_tokens": 16})
    with pytest.raises(LiftError, match="no usable QA pairs"):
        lift_document(document_from_text(DOC), tiny, config, home=lift_home)
    assert Store(lift_home).entries() == []


class _KillInEpoch:
    """Progress that raises in the middle of the given training epoch, like kill -9 there."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def task(self, description, total, unit="items"):
        kill = description.startswith(f"train epoch {self.epoch}/")

        class Task:
            def advance(self, n=1, tokens=0):
                if kill:
                    raise KeyboardInterrupt

            def done(self, **summary):
                pass

        return Task()


def test_a_killed_lift_leaves_no_entry_and_the_rerun_resumes_from_cache_and_checkpoint(tiny, lift_home):
    config = LiftConfig().with_overrides(FAST)
    document = document_from_text(DOC, title="bakery")
    with pytest.raises(KeyboardInterrupt):
        lift_document(document, tiny, config, home=lift_home, progress=_KillInEpoch(2))
    assert Store(lift_home).entries() == []

    result = lift_document(document, tiny, config, home=lift_home)
    assert result.manifest.training.resumed_from_epoch == 1
    assert result.manifest.gate is not None  # the resumed run still saw every question for the gate
    assert len(result.manifest.training.loss_per_epoch) == 2
    synthesis = result.manifest.synthesis
    assert synthesis.generations == 0 and synthesis.cache_hits == synthesis.sentences
    assert [e.doc_id for e in Store(lift_home).entries()] == [document.doc_id]
    assert not any((lift_home / "work").iterdir())  # checkpoints are cleaned up once the entry exists


def test_target_steps_sizes_the_steps_of_a_lift_and_the_entry_keeps_the_config_as_given(tiny, lift_home):
    config = LiftConfig().with_overrides({**FAST, "train.batch_tokens": 0, "train.target_steps": 1})
    result = lift_document(document_from_text(DOC), tiny, config, home=lift_home)
    tokens = result.manifest.tokens
    assert result.manifest.training.batch_tokens == max(384, round(tokens * 20 / 64) * 64)  # ~1 step per epoch
    assert result.manifest.config["train"]["batch_tokens"] == 0  # the setting as given, not the size chosen


@pytest.mark.parametrize("pipeline", [True, False])
def test_a_distilled_lift_counts_its_teacher_and_a_rerun_reads_the_teacher_from_the_cache(tiny, lift_home, pipeline):
    config = LiftConfig().with_overrides(
        {**FAST, "distill.weight": 0.5, "distill.replay_weight": 1.0, "train.pipeline": pipeline}
    )
    document = document_from_text(DOC, title="bakery")
    first = lift_document(document, tiny, config, home=lift_home).manifest.training
    assert first.teacher_examples == first.qa_examples + first.replay_examples > 0
    assert first.teacher_tokens > 0 and first.teacher_cached == 0
    again = lift_document(document, tiny, config, home=lift_home, force=True).manifest.training
    assert again.teacher_cached == again.teacher_examples == first.teacher_examples and again.teacher_tokens == 0
    assert again.loss_per_epoch == first.loss_per_epoch


def test_a_lift_without_distillation_runs_no_teacher(tiny, lift_home):
    config = LiftConfig().with_overrides({**FAST, "distill.replay_weight": 0.0})
    training = lift_document(document_from_text(DOC), tiny, config, home=lift_home)
    assert training.manifest.training.teacher_examples == 0 and training.manifest.training.teacher_tokens == 0


def test_the_default_recipe_distils_only_the_replay_examples(tiny, lift_home):
    training = lift_document(document_from_text(DOC), tiny, LiftConfig().with_overrides(FAST), home=lift_home)
    record = training.manifest.training
    assert record.replay_examples > 0 and record.teacher_examples == record.replay_examples


def test_stop_at_recall_holds_pairs_out_and_asks_them_after_each_epoch(tiny, lift_home):
    """One synthetic pair in 8 is kept out of training and asked after each epoch but the last; each epoch's
    share answered is recorded (the tiny model answers none, so a bar of 1.0 lets every epoch run)."""
    config = LiftConfig().with_overrides({**FAST, "train.replay_ratio": 0.0, "train.stop_at_recall": 1.0})
    manifest = lift_document(document_from_text(DOC), tiny, config, home=lift_home).manifest
    training = manifest.training
    assert 0 < training.held_out_questions < manifest.synthesis.qa_pairs_kept
    assert training.qa_examples + training.held_out_questions == manifest.synthesis.qa_pairs_kept
    assert training.held_out_recall == [0.0] and not training.stopped_early and len(training.loss_per_epoch) == 2
