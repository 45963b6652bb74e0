"""lift compare: the paired difference of two settings on the same questions, seeds averaged, clusters resampled."""

import pytest
from typer.testing import CliRunner

from lift.cli import app
from lift.errors import LiftError
from lift.eval.compare import compare
from lift.eval.results import RESULTS, EvalRow, append_rows


def _folder(root, name, right, mode="lift_only", facts=10, per_fact=5):
    """A results folder: question q of fact f right when (f, q) is in `right` (or right(f, q) is true)."""
    folder = root / name
    folder.mkdir()
    rows = []
    for f in range(facts):
        for q in range(per_fact):
            ok = right(f, q) if callable(right) else (f, q) in right
            rows.append(EvalRow(suite="rewording", item_id=f"f{f}-q{q}", mode=mode, scores={"correct": float(ok)},
                                group={"fact": f"f{f}"}))  # fmt: skip
    append_rows(folder / RESULTS, rows)
    return folder


def test_the_difference_is_paired_and_its_interval_resamples_facts(tmp_path):
    a = _folder(tmp_path, "a", lambda f, q: q == 0)  # 10 of 50
    b = _folder(tmp_path, "b", lambda f, q: q <= 1)  # 20 of 50: every question A answers, and 10 more
    result = compare([a], [b])
    assert (result.questions, result.clusters, result.cluster_key) == (50, 10, "fact")
    assert result.mean_a == pytest.approx(0.2) and result.mean_b == pytest.approx(0.4)
    assert result.difference == pytest.approx(0.2) and (result.gained, result.lost) == (10, 0)
    assert result.low == pytest.approx(0.2) and result.high == pytest.approx(0.2)  # every fact gains the same
    assert "+20.0 points" in result.line() and "over 10 facts" in result.line()
    per_question = compare([a], [b], cluster="question")
    assert per_question.clusters == 50 and per_question.cluster_key == "question"


def test_seeds_are_averaged_per_question_and_their_spread_reported(tmp_path):
    a1 = _folder(tmp_path, "a1", lambda f, q: q == 0)
    a2 = _folder(tmp_path, "a2", lambda f, q: q <= 2)
    b1 = _folder(tmp_path, "b1", lambda f, q: q <= 1)
    result = compare([a1, a2], [b1])
    assert result.mean_a == pytest.approx(0.4) and result.seeds_a == pytest.approx([0.2, 0.6])
    assert result.difference == pytest.approx(0.0)
    assert "seeds 20.0 / 60.0" in result.line()
    mixed = compare([a1], [b1, a2], cluster="question")  # a fact whose seeds disagree counts half
    assert mixed.mean_b == pytest.approx(0.5)


def test_only_questions_every_folder_answered_count_and_a_mismatch_is_an_error(tmp_path):
    a = _folder(tmp_path, "a", lambda f, q: True, facts=10)
    b = _folder(tmp_path, "b", lambda f, q: False, facts=4)
    assert compare([a], [b]).questions == 20
    c = _folder(tmp_path, "c", lambda f, q: True, mode="icl")
    with pytest.raises(LiftError, match="no correct scores in mode lift_only"):
        compare([a], [c])
    assert compare([a], [c], mode_b="icl").difference == pytest.approx(0.0)
    with pytest.raises(LiftError, match="no results.jsonl"):
        compare([a], [tmp_path / "missing"])


def test_the_cli_prints_one_line_and_refuses_unknown_modes(tmp_path):
    a = _folder(tmp_path, "a", lambda f, q: q == 0)
    b = _folder(tmp_path, "b", lambda f, q: q <= 1)
    runner = CliRunner()
    result = runner.invoke(app, ["compare", str(a), f"{b},{b}"])
    assert result.exit_code == 0, result.output
    assert "lift_only correct: A 20.0, B 40.0 (seeds 40.0 / 40.0); B - A +20.0 points" in result.output
    result = runner.invoke(app, ["compare", str(a), str(b), "--mode", "nope"])
    assert result.exit_code == 1 and "unknown mode 'nope'" in result.output
