"""benchmarks/long/run.py: finished cells are skipped, two runners never share a results folder, and the
LooGLE / LongBench cells pool into the goals' ratios. No lifting here: run_cell is replaced."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("long_run", ROOT / "benchmarks" / "long" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RESULTS", tmp_path / "long")
    monkeypatch.setattr(module, "STATUS", tmp_path / "long" / "STATUS.md")
    return module


def _args(tmp_path: Path) -> argparse.Namespace:
    return argparse.Namespace(logs=tmp_path / "logs", code=ROOT, threads=1, no_commit=True)


def test_the_cells_file_loads_and_names_known_recipes(runner):
    recipes, cells, modes = runner.load_cells()
    assert "m" in recipes and cells and modes.split(",")[0] == "lift_only"
    assert all(cell["recipe"] in recipes for cell in cells)


def test_a_cell_that_names_its_modes_is_answered_in_those_only(runner):
    recipes = {"o_b6r": ["infer.beams=6"]}
    cell = {"name": "facts-1k-50", "suite": "niah", "recipe": "o_b6r", "sets": ["eval.niah_lengths=1000"]}
    line = runner.command(cell, recipes, "lift_only,lift_icl,icl,rag", ["lift"])
    assert line[line.index("--modes") + 1] == "lift_only,lift_icl,icl,rag"
    line = runner.command({**cell, "modes": "lift_only"}, recipes, "lift_only,lift_icl,icl,rag", ["lift"])
    assert line[line.index("--modes") + 1] == "lift_only" and line[-2:] == ["--set", "infer.beams=6"]


def test_a_second_runner_cannot_take_a_held_folder_and_can_once_it_is_released(runner):
    cell = {"name": "a", "recipe": "m", "suite": "loogle"}
    with runner.folder_lock(cell) as first:
        with runner.folder_lock({**cell, "name": "b"}) as second:  # same folder, another cell
            assert first and not second
        with runner.folder_lock({**cell, "suite": "niah"}) as other_folder:
            assert other_folder
    with runner.folder_lock(cell) as again:
        assert again


def test_runs_only_unfinished_cells_whose_folder_is_free(runner, tmp_path, monkeypatch):
    ran = []

    def fake_run_cell(cell, recipes, modes, code, threads, log_dir):
        ran.append(cell["name"])
        return {"wall_seconds": 1.0, "scores": {}, "tokens_per_document_token": 20.0}

    monkeypatch.setattr(runner, "run_cell", fake_run_cell)
    monkeypatch.setattr(runner, "write_status", lambda recipes, cells: None)
    done = {"name": "done", "recipe": "m", "suite": "niah"}
    todo = {"name": "todo", "recipe": "m", "suite": "niah"}
    held = {"name": "held", "recipe": "m", "suite": "loogle"}
    runner.record_path(done).parent.mkdir(parents=True)
    runner.record_path(done).write_text(json.dumps({"name": "done"}), encoding="utf-8")
    with runner.folder_lock(held) as holding:  # another runner is in the LooGLE folder
        assert holding
        busy = runner.run_cells([done, held, todo], {"m": []}, [], "lift_only", _args(tmp_path))
    assert ran == ["todo"]
    assert runner.finished(todo) is not None
    assert [c["name"] for c in busy] == ["held"]
    # the next run finds the folder free and runs what is left, and only that
    assert runner.run_cells([done, held, todo], {"m": []}, [], "lift_only", _args(tmp_path)) == []
    assert ran == ["todo", "held"]


def test_pooled_lines_give_each_mode_an_interval_and_the_goal_ratios(runner):
    folder = runner.RESULTS / "m" / "loogle"
    folder.mkdir(parents=True)
    rows = []
    for doc, values in (("aaaa1", (0.2, 0.4)), ("bbbb2", (0.6, 0.2)), ("cccc3", (0.9, 0.9))):
        for number, value in enumerate(values):
            for mode, scale in (("lift_only", 1.0), ("lift_icl", 1.0), ("icl", 0.5), ("rag", 0.8)):
                rows.append({"suite": "loogle", "item_id": f"{doc}-{number}", "mode": mode, "doc_id": doc,
                             "question": "where was he born", "references": ["born in Madrid" if number else "Oslo"],
                             "scores": {"f1": value * scale, "rouge_l": 0.0}})  # fmt: skip
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    finished = [({"name": f"loogle-{d}", "recipe": "m", "suite": "loogle", "doc": d}, {}) for d in ("aaaa", "bbbb")]
    lines = runner.pooled_lines(finished)  # the third document's cell is not finished: its rows stay out
    row = next(line for line in lines if line.startswith("| m | loogle"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:4] == ["2", "4"]  # cells, questions
    assert cells[4].startswith("35.0 [")  # mean f1 of 0.2, 0.4, 0.6, 0.2
    low, high = (float(x) for x in cells[4].split("[")[1].rstrip("]").split(","))
    assert 20.0 <= low <= 35.0 <= high <= 60.0
    assert cells[8] == "14.3"  # the question as its answer: F1 2/7 against "born in Madrid", 0 against "Oslo"
    assert cells[9:] == ["2.00x", "1.25x"]
    assert runner.pooled_lines([({"name": "niah-1k-50", "recipe": "m", "suite": "niah"}, {})]) == []


def test_a_suite_in_several_folders_also_pools_over_all_of_them(runner):
    cells = []
    for task, doc, value in (("narrativeqa", "aaaa1", 0.4), ("musique", "bbbb2", 0.8)):
        cell = {"name": f"longbench-{doc[:4]}", "recipe": "m", "suite": "longbench", "doc": doc[:4],
                "folder": f"longbench/{task}"}  # fmt: skip
        folder = runner.cell_dir(cell)
        folder.mkdir(parents=True)
        rows = [{"item_id": f"{task}-0", "mode": mode, "doc_id": doc, "scores": {"f1": value * scale}}
                for mode, scale in (("lift_only", 1.0), ("lift_icl", 1.0), ("icl", 0.5), ("rag", 0.5))]  # fmt: skip
        (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        cells.append((cell, {}))
    lines = runner.pooled_lines(cells)
    labels = [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("| m |")]
    assert [row[1] for row in labels] == ["longbench/narrativeqa", "longbench/musique", "longbench (all)"]
    everything = labels[-1]
    assert everything[2:4] == ["2", "2"] and everything[4].startswith("60.0 [")  # (0.4 + 0.8) / 2
    assert everything[8:] == ["-", "2.00x", "2.00x"]  # rows without their question: no echo floor
    # one folder: no second row for the suite
    assert [line for line in runner.pooled_lines(cells[:1]) if "(all)" in line] == []


def test_time_left_scales_lifting_by_the_suites_own_wall_over_lift_ratio(runner):
    def record(wall: float, lift: float, **extra) -> dict:
        return {"wall_seconds": wall, "lift_seconds": lift, **extra}

    done = [
        ({"suite": "niah"}, record(200, 100)),
        ({"suite": "niah"}, record(300, 100)),
        ({"suite": "niah"}, record(900, 100, note="paused for 10 min")),  # not one uninterrupted run
        ({"suite": "loogle"}, record(400, 100)),
    ]
    overhead = runner.answering_overhead(done)
    assert overhead["niah"] == 2.5 and overhead["loogle"] == 4.0
    assert overhead["all"] == 3.0  # the median over 2, 3, 4: a suite with no finished cell yet
    assert runner.answering_overhead([])["all"] == runner.FALLBACK_WALL_PER_LIFT


def test_a_stop_asked_after_the_runner_started_ends_it_before_its_next_cell(runner, tmp_path, monkeypatch):
    ran = []
    args = _args(tmp_path)
    args.logs.mkdir()
    stop = args.logs / runner.STOP
    stop.touch()
    os.utime(stop, (0, 0))  # a stop from before this runner started: ignored

    def fake_run_cell(cell, recipes, modes, code, threads, log_dir):
        ran.append(cell["name"])
        stop.touch()  # `run.py --stop` while the first cell runs
        os.utime(stop, (time.time() + 1, time.time() + 1))  # (file times can lag the clock by a tick)
        return {"wall_seconds": 1.0, "scores": {}, "tokens_per_document_token": 20.0}

    monkeypatch.setattr(runner, "run_cell", fake_run_cell)
    monkeypatch.setattr(runner, "write_status", lambda recipes, cells: None)
    first, second = ({"name": n, "recipe": "m", "suite": "niah"} for n in ("first", "second"))
    runner.run_cells([first, second], {"m": []}, [], "lift_only", args)
    assert ran == ["first"] and runner.finished(first) and not runner.finished(second)


def test_evidence_is_placed_in_or_out_of_the_window_with_whitespace_collapsed():
    spec = importlib.util.spec_from_file_location("long_evidence", ROOT / "benchmarks" / "long" / "evidence.py")
    evidence = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(evidence)
    document = "Head text here.\nPicardo was born in\nJerez in 1919. Middle part. Tail text."
    kept = "Head text here.\nPicardo was born in\nJerez in 1919. Tail text."
    assert evidence.place("Picardo was born in Jerez in 1919.", kept, document) == "in the window"
    assert evidence.place("Middle part.", kept, document) == "cut out of the window"
    assert evidence.place("Not in it at all.", kept, document) == "evidence not found in the document"
    assert evidence.place("", kept, document).startswith("no evidence")


def test_start_freezes_head_once_and_gives_each_runner_the_same_selection(runner, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "code.py").write_text("x = 1\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "-m", "one"], check=True)
    monkeypatch.setattr(runner, "REPO", repo)
    frozen = runner.freeze(tmp_path / "logs")
    (repo / "src" / "code.py").write_text("x = 2\n", encoding="utf-8")  # an edit after the runners started
    assert (frozen / "src" / "code.py").read_text(encoding="utf-8") == "x = 1\n"
    assert runner.freeze(tmp_path / "logs") == frozen  # the same commit: the same copy
    args = argparse.Namespace(threads=1, logs=tmp_path / "logs", only=["a", "b"], recipe=None, no_commit=False)
    lines = runner.runner_commands(2, frozen, args)
    assert len(lines) == 2 and lines[0] == lines[1]
    assert lines[0][lines[0].index("--code") + 1] == str(frozen)
    assert lines[0][lines[0].index("--only") + 1 :] == ["a", "b"] and "--recipe" not in lines[0]
