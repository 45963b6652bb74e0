"""The eval runner and report end to end on the tiny random-init model: rows, resume, reuse, report."""

import json

import pytest
from typer.testing import CliRunner

from lift.cli import app
from lift.config import LiftConfig
from lift.eval.items import EvalItem
from lift.eval.report import write_report
from lift.eval.results import RESULTS, read_results
from lift.eval.runner import run_eval
from lift.text.documents import document_from_text

FAST = {
    "train.epochs": 1,
    "train.min_steps": 0,
    "train.replay_ratio": 0.0,
    "infer.max_new_tokens": 4,
    "infer.gate": False,
}
DOCS = [
    "The Rivergate bakery was founded by Alice in Lisbon in 2004. The bakery is famous for its orange cake.",
    "The secret code of the blue castle is zebra seven. The castle stands on a green hill near the sea.",
]


def items() -> list[EvalItem]:
    out = []
    for d, text in enumerate(DOCS):
        document = document_from_text(text, title=f"doc {d}")
        for q, question in enumerate(["Who founded it?", "What is it famous for?"]):
            out.append(EvalItem("custom", f"{d}-{q}", document, question, ["Alice"], ("f1", "em")))
    return out


def test_run_eval_writes_one_row_per_question_and_mode_and_resumes(tiny, tmp_path, lift_home):
    config = LiftConfig().with_overrides(FAST)
    modes = ["no_context", "icl", "lift_only", "lift_icl", "rag_bm25"]
    out = tmp_path / "eval"
    run = run_eval(items(), modes, tiny, config, out, home=lift_home)
    assert run.new_rows == 20 and run.lifted == 2 and run.reused == 0
    rows = read_results(out / RESULTS)
    assert sorted((r.item_id, r.mode) for r in rows) == sorted((i.item_id, m) for i in items() for m in modes)
    lifted = [r for r in rows if r.mode in ("lift_only", "lift_icl")]
    assert all(r.adapter == r.doc_id for r in lifted)
    assert all(r.adapter is None for r in rows if r.mode not in ("lift_only", "lift_icl"))
    assert all(set(r.scores) == {"f1", "em"} for r in rows)
    icl = next(r for r in rows if r.mode == "icl")
    no_context = next(r for r in rows if r.mode == "no_context" and r.item_id == icl.item_id)
    assert icl.prompt_tokens > no_context.prompt_tokens

    # A killed run: the last three rows are gone and the fourth-last line is torn mid-write.
    lines = (out / RESULTS).read_text(encoding="utf-8").splitlines(keepends=True)
    (out / RESULTS).write_text("".join(lines[:-4]) + lines[-4][:25], encoding="utf-8")
    again = run_eval(items(), modes, tiny, config, out, home=lift_home)
    assert again.new_rows == 4
    assert again.lifted == 0  # the adapters came from the store, trained once
    rows = read_results(out / RESULTS)
    assert len(rows) == 20 and len({(r.item_id, r.mode) for r in rows}) == 20

    # Other training settings: the stored adapter is not reused, the document is lifted again.
    changed = config.with_overrides({"lora.rank": 4})
    third = run_eval(items()[:1], ["lift_only"], tiny, changed, tmp_path / "eval2", home=lift_home)
    assert third.lifted == 1 and third.reused == 0


def test_read_results_drops_a_torn_last_line(tmp_path):
    path = tmp_path / RESULTS
    rows = [json.dumps({"suite": "s", "item_id": str(n), "mode": "icl", "new_key": n}) for n in range(3)]
    path.write_text(f"{rows[0]}\n{rows[1]}\n{rows[2][:-3]}", encoding="utf-8")
    read = read_results(path)
    assert [r.item_id for r in read] == ["0", "1"] and read[1].extra == {"new_key": 1}  # unknown keys are kept
    assert path.read_text(encoding="utf-8") == f"{rows[0]}\n{rows[1]}\n"
    assert read_results(tmp_path / "missing.jsonl") == []


def test_report_tables_intervals_heatmap_and_forgetting(tmp_path):
    rows = []
    for length in (1000, 2000):
        for depth in (0, 50):
            for mode, score in (("lift_only", 1.0), ("icl", 0.0 if length == 2000 else 1.0)):
                rows.append(
                    {
                        "suite": "niah",
                        "item_id": f"L{length}-d{depth}",
                        "mode": mode,
                        "doc_id": f"{length}{depth}",
                        "scores": {"keywords": score},
                        "group": {"length": length, "depth": depth},
                        "seconds": 1.0,
                    }
                )
    for mode, right in (("no_context", [1, 1, 1, 1]), ("lift_only", [1, 1, 1, 0])):
        for q, value in enumerate(right):
            rows.append(
                {
                    "suite": "general",
                    "item_id": f"g{q}",
                    "mode": mode,
                    "doc_id": "d",
                    "seconds": 0.5,
                    "scores": {"correct": float(value)},
                    "group": {"document": "essay"},
                }
            )
    (tmp_path / RESULTS).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    text = write_report(tmp_path, samples=200).read_text(encoding="utf-8")
    assert "| lift_only | 4 | 100.0 [100.0, 100.0] | 1.00 |" in text
    assert "| icl | 4 | 50.0 [" in text
    assert "| 2000 | 100.0 (n=2) | 0.0 (n=2) |" in text
    assert "Accuracy drop after lifting: 25.0 points." in text
    for name in ("niah_lift_only.png", "niah_icl.png", "general_forgetting.png"):
        assert (tmp_path / name).stat().st_size > 1000


def test_cli_eval_custom_end_to_end_and_resume(tiny_model_dir, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"question": "Who founded the bakery?", "answer": "Alice", "document": DOCS[0]},
                {"question": "Where?", "options": ["Lisbon", "Porto"], "answer": "A", "document": DOCS[0]},
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["eval", "custom", "--file", str(questions), "--model", str(tiny_model_dir), "-o", str(out),
            "--modes", "no_context,lift_only,rag", "--set", "train.epochs=1", "--set", "train.replay_ratio=0",
            "--set", "infer.max_new_tokens=4"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = read_results(out / RESULTS)
    assert len(rows) == 6
    assert {tuple(r.scores) for r in rows} == {("f1", "rouge_l", "em"), ("accuracy",)}
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## custom" in report and "| rag | 2 |" in report and "## Lifted documents" in report
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["command"].startswith("lift eval custom") and info["config"]["train"]["epochs"] == 1

    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "0 new answers (6 in all)" in again.output

    other = CliRunner().invoke(app, [*args[:-1], "infer.max_new_tokens=5"])
    assert other.exit_code == 1 and "infer.max_new_tokens: 4 -> 5" in other.output


def test_cli_eval_errors(tmp_path, tiny_model_dir):
    runner = CliRunner()
    bad_mode = runner.invoke(app, ["eval", "custom", "--modes", "telepathy"])
    assert bad_mode.exit_code == 1 and "unknown mode 'telepathy'" in bad_mode.output
    no_file = runner.invoke(app, ["eval", "custom", "--model", str(tiny_model_dir), "-o", str(tmp_path / "o")])
    assert no_file.exit_code == 1 and "--file" in no_file.output
    bad_suite = runner.invoke(app, ["eval", "trivia", "--model", str(tiny_model_dir), "-o", str(tmp_path / "o2")])
    assert bad_suite.exit_code == 1 and "unknown suite 'trivia'" in bad_suite.output
    missing = runner.invoke(
        app, ["eval", "squad", "--data-dir", str(tmp_path / "nope"), "--model", str(tiny_model_dir)]
    )
    assert missing.exit_code == 1 and "data directory not found" in missing.output


def test_run_info_lets_a_grid_grow_but_not_the_settings_change(tmp_path):
    from lift.errors import LiftError
    from lift.eval.run_info import RunInfo, config_conflicts, read_run_info, record_run

    config = LiftConfig().to_dict()
    info = {"command": "lift eval niah", "model": "m", "config": config, "started": "t0"}

    def run(**changes) -> RunInfo:
        return RunInfo.from_dict({**info, **changes})

    record_run(tmp_path, run())
    grown = LiftConfig().with_overrides({"eval.niah_lengths": "1000,64000"}).to_dict()
    again = record_run(tmp_path, run(command="lift eval niah --set x", config=grown, started="t1"))
    assert again.started == "t0" and again.commands == ["lift eval niah", "lift eval niah --set x"]
    assert read_run_info(tmp_path).commands == again.commands
    changed = LiftConfig().with_overrides({"train.lr": 1e-4}).to_dict()
    with pytest.raises(LiftError, match=r"train.lr: None -> 0.0001"):
        record_run(tmp_path, run(config=changed))
    with pytest.raises(LiftError, match="holds results of m"):
        record_run(tmp_path, run(model="other"))
    newer = {**config, "train": {**config["train"], "new_setting": 1}}
    assert config_conflicts(config, newer) == []


def test_stored_adapters_are_reused_across_speed_settings_but_not_across_training_settings():
    from lift.eval.runner import same_training
    from lift.store import AdapterRecord, Manifest

    config = LiftConfig()
    manifest = Manifest("0123abcd", "m", AdapterRecord("lora"), config=config.to_dict())
    assert same_training(manifest, config.with_overrides({"synth.concurrency": 3, "train.queue_size": 7}), "m")
    assert not same_training(manifest, config.with_overrides({"train.pipeline": False}), "m")
    assert not same_training(manifest, config, "other-model")
    older = Manifest("0123abcd", "m", AdapterRecord("lora"), config=config.to_dict())
    del older.config["synth"]["aux_tasks"]  # written before the setting existed: trained without it
    assert not same_training(older, config, "m")


def test_a_lift_replaces_the_entry_another_process_stored_meanwhile(tiny, tmp_path, lift_home, monkeypatch):
    """Two evals share a store and lift the same document with different settings: the one that found no entry
    when it looked must replace the other's when it saves, not fail after training (and drop the grid's rest)."""
    import lift.eval.runner as runner
    from lift.recipe import lift_document
    from lift.store import Store

    item = items()[0]
    lift_document(item.document, tiny, LiftConfig().with_overrides({**FAST, "train.lr": 5e-4}), home=lift_home)

    class LookedBeforeTheOtherSaved(Store):
        def get(self, doc_id):
            return None

    monkeypatch.setattr(runner, "Store", LookedBeforeTheOtherSaved)
    config = LiftConfig().with_overrides(FAST)
    run = run_eval([item], ["lift_only"], tiny, config, tmp_path / "eval", home=lift_home)
    assert run.lifted == 1 and run.new_rows == 1
    manifest = Store(lift_home).get(item.document.doc_id).manifest
    assert runner.same_training(manifest, config, tiny.name)
    record = json.loads((tmp_path / "eval" / "documents.json").read_text(encoding="utf-8"))[item.document.doc_id]
    assert record["train_tokens"] == manifest.training.tokens > 0  # what the lift cost, for the cost goal


def test_icl_questions_about_one_long_document_read_it_once_and_answer_as_read_whole(
    tiny, tmp_path, lift_home, monkeypatch
):
    import lift.eval.runner as runner
    import lift.infer.candidates as candidates
    from lift.infer import generation

    document = document_from_text(" ".join([DOCS[1]] * 30), title="long")  # beyond the tiny model's window
    questions = ["What is the code?", "Where does the castle stand?", "What colour is the hill near the sea?"]
    asked = [EvalItem("custom", f"q{n}", document, q, ["zebra seven"], ("f1",)) for n, q in enumerate(questions)]
    config = LiftConfig().with_overrides(FAST)
    prefixes = []

    def spy(model, tokenizer, prompts, max_new_tokens, prefix_length, batch_size, read_prefix=None):
        assert read_prefix is None  # an adapter that reads the cut itself
        prefixes.append((prefix_length, [len(p) for p in prompts]))
        assert batch_size == 1  # on a CPU
        yield from generation.generate_after_prefix(model, tokenizer, prompts, max_new_tokens, prefix_length, 2)

    monkeypatch.setattr(candidates, "generate_after_prefix", spy)
    monkeypatch.setattr(runner, "SHARED_PREFIX_TOKENS", 10**9)  # every prompt read whole, in batches
    whole = run_eval(asked, ["icl"], tiny, config, tmp_path / "whole", home=lift_home).rows
    assert prefixes == []
    monkeypatch.setattr(runner, "SHARED_PREFIX_TOKENS", 64)
    once = run_eval(asked, ["icl"], tiny, config, tmp_path / "once", home=lift_home).rows
    (shared, lengths), *more = prefixes
    assert not more and len(lengths) == 3
    assert min(lengths) > tiny.window // 2 and shared >= min(lengths) - 20  # all but the question's own tokens
    by_id = {r.item_id: r for r in whole}
    assert [(r.prediction, r.prompt_tokens) for r in once] == [
        (by_id[r.item_id].prediction, by_id[r.item_id].prompt_tokens) for r in once
    ]
