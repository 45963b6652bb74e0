"""Incremental update (`lift train --update`): only the changed sentences get new QA, the old adapter is trained
on, and both the old and the new facts are recalled."""

import pytest
from typer.testing import CliRunner

from conftest import fact_question
from lift.adapters import load_adapter
from lift.cli import app
from lift.config import LiftConfig
from lift.errors import LiftError
from lift.infer import answer_question
from lift.recipe import lift_document
from lift.store import Store
from lift.text.documents import document_from_text

OLD_FACT = "The secret code of the blue castle is zebra seven."
FILLER = [
    "The green tower stands on a low hill by the river.",
    "Many visitors walk along the old stone bridge every morning.",
    "The market opens early and closes before the evening bells.",
    "Fishermen sell their catch beside the harbour wall each day.",
]
NEW_FACT = "The password of the red gate is falcon nine."
SETTINGS = {
    "train.epochs": 30, "train.lr": 1e-2, "train.replay_ratio": 0.0, "train.precision": "fp32",
    "train.batch_tokens": 128, "synth.qa_per_sentence": 1, "infer.gate": False, "train.update_replay": 1.0,
    "train.objective": "mix",  # an update of a mix lift trains its QA alone
    "synth.template_forms": ["definition", "key_phrase", "cloze", "succession"],  # one pair: 'What is X?'
}  # fmt: skip


def _answer(loaded, entry, question: str) -> str:
    adapter = load_adapter(loaded.model, entry.adapter_dir)
    try:
        return answer_question(adapter, loaded.tokenizer, question, "lift_only", window=loaded.window,
                               max_new_tokens=48, system=LiftConfig().infer.system_prompt).text  # fmt: skip
    finally:
        adapter.unload()


def test_an_update_trains_on_from_the_old_adapter_with_new_qa_for_the_changed_sentence_only(tiny, lift_home):
    """update_replay 1: every old sentence's QA comes back from the cache, asked as the first lift asked it."""
    config = LiftConfig().with_overrides(SETTINGS)
    first = lift_document(document_from_text(" ".join([OLD_FACT, *FILLER]), source="/docs/castle.txt"), tiny, config)
    v2 = document_from_text(" ".join([OLD_FACT, *FILLER, NEW_FACT]), source="/docs/castle.txt")
    second = lift_document(v2, tiny, config, previous=first.entry)

    lineage = second.manifest.lineage
    assert lineage.previous == first.entry.doc_id and lineage.version == 2
    assert lineage.changed_sentences == [5] and lineage.removed_sentences == 0 and lineage.replayed_sentences == 5
    assert second.manifest.synthesis.jobs == 6 and second.manifest.synthesis.cache_hits == 5
    # a mix lift trains segments too, its update its QA alone
    assert first.manifest.training.objective == "mix" and first.manifest.training.segments > 0
    assert second.manifest.training.objective == "qa" and second.manifest.training.segments == 0
    assert Store(lift_home).get(first.entry.doc_id) is not None  # the previous version stays
    # trained on from the first adapter: 5 of its 6 examples are known from the first epoch on
    assert second.manifest.training.loss_per_epoch[0] < 0.5 * first.manifest.training.loss_per_epoch[0]

    old_question = fact_question(OLD_FACT)
    new_question = fact_question(NEW_FACT)
    assert "zebra seven" in _answer(tiny, first.entry, old_question)
    assert "falcon nine" not in _answer(tiny, first.entry, new_question)
    assert "falcon nine" in _answer(tiny, second.entry, new_question)
    assert "zebra seven" in _answer(tiny, second.entry, old_question)  # trained on from the old adapter


def test_the_update_plan_replays_a_seeded_share_of_the_unchanged_sentences(tiny, lift_home):
    from lift.update import plan_update

    config = LiftConfig().with_overrides({**SETTINGS, "train.epochs": 1, "train.update_replay": 0.5})
    first = lift_document(document_from_text(" ".join([OLD_FACT, *FILLER])), tiny, config)
    old = [OLD_FACT, *FILLER]
    edited = [OLD_FACT, FILLER[0], "The green tower was painted blue last spring.", *FILLER[2:], NEW_FACT]
    plan = plan_update(first.entry, old, edited, config)
    assert plan.changed == [2, 5] and plan.removed == 1 and len(plan.replayed) == 2  # half of the 4 unchanged
    assert (
        set(plan.replayed) <= {0, 1, 3, 4} and plan_update(first.entry, old, edited, config).replayed == plan.replayed
    )
    assert plan.lineage().version == 2
    assert plan.moved_to == {0: 0, 1: 1, 3: 3, 4: 4}  # the edit replaced sentence 2 in place
    shifted = plan_update(first.entry, old, [NEW_FACT, *old], config)
    assert shifted.moved_to == {n: n + 1 for n in range(5)}


def test_an_updates_replayed_pairs_name_the_sentence_where_it_now_is(tiny, lift_home):
    """The replayed requests are the previous version's (their cache keys), but their pairs point at the new
    version's sentence: the distillation teacher reads the chunk around it there."""
    from lift.synth.generate import build_jobs
    from lift.synth.generators import make_generator
    from lift.update import plan_update

    config = LiftConfig().with_overrides({**SETTINGS, "train.epochs": 1, "train.update_replay": 1.0})
    old = [OLD_FACT, *FILLER]
    first = lift_document(document_from_text(" ".join(old)), tiny, config)
    edited = [NEW_FACT, "The tower clock strikes thirteen at noon.", *old]
    plan = plan_update(first.entry, old, edited, config)
    generator = make_generator(config.synth, tiny, seed=0, model_trains_meanwhile=False)
    old_jobs = build_jobs("old", old, config.synth, generator)
    jobs = plan.jobs(build_jobs("new", edited, config.synth, generator), old_jobs)
    replayed = [job for job in jobs.jobs if job.key in {j.key for j in old_jobs.jobs}]
    assert len(replayed) == len(old)
    for job in replayed:
        assert edited[job.index] == job.unit.sentence  # the new index of the very sentence asked about


def test_an_update_with_nothing_changed_or_another_adapter_is_refused(tiny, lift_home):
    config = LiftConfig().with_overrides({**SETTINGS, "train.epochs": 1})
    first = lift_document(document_from_text(" ".join([OLD_FACT, *FILLER])), tiny, config)
    reordered = document_from_text(" ".join([*FILLER, OLD_FACT]))
    with pytest.raises(LiftError, match="nothing changed since document"):
        lift_document(reordered, tiny, config, previous=first.entry)
    other = config.with_overrides({"lora.rank": 4})
    with pytest.raises(LiftError, match="lift with the same adapter settings, or without --update"):
        lift_document(document_from_text(" ".join([OLD_FACT, NEW_FACT])), tiny, other, previous=first.entry)


def test_cli_update_finds_the_last_lift_of_the_same_file_and_prints_the_lineage(tiny_model_dir, lift_home, tmp_path):
    document = tmp_path / "castle.txt"
    document.write_text(" ".join([OLD_FACT, *FILLER]), encoding="utf-8")
    args = ["train", str(document), "--model", str(tiny_model_dir), "--device", "cpu", "--epochs", "1"]
    args += ["--set", "infer.gate=false", "--set", "train.replay_ratio=0"]
    runner = CliRunner()
    missing = runner.invoke(app, [*args, "--update"])
    assert missing.exit_code == 1 and "was never lifted on" in missing.output
    assert runner.invoke(app, args).exit_code == 0
    document.write_text(" ".join([OLD_FACT, *FILLER, NEW_FACT]), encoding="utf-8")
    updated = runner.invoke(app, [*args, "--update"])
    assert updated.exit_code == 0, updated.output
    assert "update (version 2) of" in updated.output and "1 changed sentences got new QA" in updated.output
    (entry,) = [e for e in Store(lift_home).entries() if e.manifest.lineage]
    shown = runner.invoke(app, ["show", entry.doc_id])
    assert '"previous"' in shown.stdout and '"changed_sentences"' in shown.stdout


def test_the_update_replays_the_old_sentences_closest_to_the_changed_ones(tiny, lift_home):
    """A new fact overwrites the old facts it resembles most: those are replayed first."""
    from lift.update import plan_update

    config = LiftConfig().with_overrides({**SETTINGS, "train.epochs": 1, "train.update_replay": 0.4})
    old = [*FILLER, "The best thing to do in San Francisco is eat a sandwich in Dolores Park.", OLD_FACT]
    first = lift_document(document_from_text(" ".join(old)), tiny, config)
    new = [*old, "The best way to spend a rainy afternoon in Lisbon is to ride tram 28."]
    plan = plan_update(first.entry, old, new, config)
    assert len(plan.replayed) == 2 and 4 in plan.replayed  # 0.4 x 6; the closest one, then a random one
