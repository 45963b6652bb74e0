"""Progress off a terminal: plain lines (start, every interval, done with the epoch's loss), in a log or a pipe."""

import io
import re
import subprocess
import sys

from rich.console import Console

from lift.progress import NullProgress, PlainProgress, RichProgress, make_progress, progress_interval


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain(interval_s: float) -> tuple[PlainProgress, io.StringIO, Clock]:
    stream, clock = io.StringIO(), Clock()
    return PlainProgress(Console(file=stream, width=60), interval_s, clock=clock), stream, clock


def test_plain_progress_writes_a_start_line_a_line_per_interval_and_a_done_line_with_the_loss():
    progress, stream, clock = plain(interval_s=10)
    with progress:
        task = progress.task("train epoch 1/2", total=40, unit="examples")
        for _ in range(8):  # 5 s apart: a progress line every other advance
            clock.now += 5
            task.advance(5, tokens=500)
        task.done(loss=2.345678)
    lines = [re.sub(r"^\[\d\d:\d\d:\d\d\] ", "", line) for line in stream.getvalue().splitlines()]
    assert lines[0] == "train epoch 1/2: started, 40 examples"
    assert lines[1] == "train epoch 1/2: 10/40 examples, 1.00 examples/s, 100 tok/s, eta 0:00:30"
    assert len(lines) == 1 + 4 + 1  # start, at 10/20/30/40 s, done: long lines are not wrapped either
    assert lines[-1] == "train epoch 1/2: done, 40 examples in 0:00:40, 1.00 examples/s, 100 tok/s, loss 2.3457"


def test_plain_progress_done_without_tokens_or_summary_and_only_once():
    progress, stream, clock = plain(interval_s=30)
    task = progress.task("generate QA (template)", total=3, unit="requests")
    clock.now = 2
    task.advance(3)
    task.done()
    task.done()
    text = stream.getvalue()
    assert text.count("done, 3 requests in 0:00:02, 1.50 requests/s\n") == 1 and "tok/s" not in text


def test_make_progress_picks_bars_on_a_terminal_and_lines_elsewhere(monkeypatch):
    assert isinstance(make_progress(Console(file=io.StringIO(), force_terminal=True)), RichProgress)
    chosen = make_progress(Console(file=io.StringIO()), interval_s=5)
    assert isinstance(chosen, PlainProgress) and chosen.interval == 5
    monkeypatch.setenv("LIFT_PROGRESS_INTERVAL", "0.5")
    assert progress_interval() == 0.5 and make_progress(Console(file=io.StringIO())).interval == 0.5
    monkeypatch.delenv("LIFT_PROGRESS_INTERVAL")
    assert progress_interval() == 30


def test_rich_and_null_tasks_accept_summary_values():
    stream = io.StringIO()
    with RichProgress(Console(file=stream, force_terminal=True, width=200)) as progress:
        task = progress.task("train epoch 1/1", total=2, unit="examples")
        task.advance(2, tokens=10)
        task.done(loss=1.5)
    assert "loss 1.5000" in stream.getvalue()
    NullProgress().task("x", 1).done(loss=1.0)


def test_lift_train_into_a_pipe_logs_each_epoch_with_its_loss(tmp_path, tiny_model_dir, lift_home):
    document = tmp_path / "doc.txt"
    document.write_text(
        "Alice founded the Rivergate bakery in Lisbon in 2004. It is famous for its orange cake. "
        "Her brother Tomas runs the delivery service. Every Sunday the queue reaches the old tram stop.",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "lift.cli", "train", str(document), "--model", str(tiny_model_dir),
               "--epochs", "2", "--set", "train.batch_tokens=64", "--set", "train.replay_ratio=0",
               "--set", "train.min_steps=0"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for epoch in (1, 2):
        started = [line for line in done.stderr.splitlines() if f"train epoch {epoch}/2: started," in line]
        finished = [line for line in done.stderr.splitlines() if f"train epoch {epoch}/2: done," in line]
        assert len(started) == 1 and len(finished) == 1, done.stderr
        assert re.search(r" loss \d+\.\d{4}$", finished[0]), finished[0]
    assert "generate QA" in done.stderr
    assert "document id:" in done.stdout
