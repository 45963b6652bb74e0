"""Progress reporting for long steps: rich bars on a terminal, plain log lines elsewhere, or nothing.

Library functions take a ProgressLike and call task(...).advance(...), then task.done(), optionally with summary
values such as done(loss=2.31) (the training loop passes each epoch's mean loss). The CLI calls
make_progress(console): a RichProgress (bars with stage, items/s, tokens/s, ETA) when the console is a terminal,
else a PlainProgress that writes lines a log file keeps (`lift train doc.txt > log 2>&1`). Tests and library
users get NullProgress by default.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from lift.errors import LiftError

INTERVAL_ENV = "LIFT_PROGRESS_INTERVAL"
DEFAULT_INTERVAL_S = 30.0


class TaskLike(Protocol):
    def advance(self, n: int = 1, tokens: int = 0) -> None: ...

    def done(self, **summary: float) -> None:
        """The stage finished; `summary`: values to report with it, e.g. loss=2.31."""


class ProgressLike(Protocol):
    def task(self, description: str, total: int, unit: str = "items") -> TaskLike: ...


class _NullTask:
    def advance(self, n: int = 1, tokens: int = 0) -> None:
        pass

    def done(self, **summary: float) -> None:
        pass


class NullProgress:
    def task(self, description: str, total: int, unit: str = "items") -> TaskLike:
        return _NullTask()


class _RateColumn(ProgressColumn):
    """items/s and tokens/s since the task started."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0:
            return Text("", style="progress.data.speed")
        unit = task.fields.get("unit", "items")
        parts = [f"{task.completed / elapsed:.2f} {unit}/s"]
        tokens = task.fields.get("tokens", 0)
        if tokens:
            parts.append(f"{tokens / elapsed:,.0f} tok/s")
        if task.fields.get("summary"):
            parts.append(task.fields["summary"])
        return Text("  ".join(parts), style="progress.data.speed")


class _RichTask:
    def __init__(self, progress: Progress, task_id: int) -> None:
        self._progress = progress
        self._task_id = task_id
        self._tokens = 0

    def advance(self, n: int = 1, tokens: int = 0) -> None:
        self._tokens += tokens
        self._progress.update(self._task_id, advance=n, tokens=self._tokens)

    def done(self, **summary: float) -> None:
        task = self._progress.tasks[self._task_id]
        self._progress.update(self._task_id, total=task.completed, summary=_summary_text(summary))
        self._progress.stop_task(self._task_id)


class RichProgress:
    """A context manager holding one rich Progress display; each stage adds a bar to it."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
        )

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def task(self, description: str, total: int, unit: str = "items") -> TaskLike:
        task_id = self._progress.add_task(description, total=total, unit=unit, tokens=0)
        return _RichTask(self._progress, task_id)


def _summary_text(summary: dict[str, float]) -> str:
    return ", ".join(f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"
                     for key, value in summary.items())  # fmt: skip


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def progress_interval() -> float:
    """Seconds between a PlainProgress task's progress lines: env LIFT_PROGRESS_INTERVAL, default 30."""
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    if not raw:
        return DEFAULT_INTERVAL_S
    try:
        interval = float(raw)
    except ValueError:
        interval = -1.0
    if not interval >= 0:
        raise LiftError(f"{INTERVAL_ENV} must be a number of seconds >= 0, got '{raw}'")
    return interval


class _PlainTask:
    def __init__(self, owner: PlainProgress, description: str, total: int, unit: str) -> None:
        self._owner, self._description, self._total, self._unit = owner, description, total, unit
        self._completed = 0
        self._tokens = 0
        self._finished = False
        self._started = self._last = owner.clock()
        owner.line(f"{description}: started, {total} {unit}")

    def _rates(self, elapsed: float) -> list[str]:
        if elapsed <= 0:
            return []
        parts = [f"{self._completed / elapsed:.2f} {self._unit}/s"]
        if self._tokens:
            parts.append(f"{self._tokens / elapsed:,.0f} tok/s")
        return parts

    def advance(self, n: int = 1, tokens: int = 0) -> None:
        self._completed += n
        self._tokens += tokens
        now = self._owner.clock()
        if self._finished or now - self._last < self._owner.interval:
            return
        self._last = now
        elapsed = now - self._started
        parts = [f"{self._completed}/{self._total} {self._unit}", *self._rates(elapsed)]
        if self._completed > 0 and self._total > self._completed:
            parts.append(f"eta {_duration(elapsed / self._completed * (self._total - self._completed))}")
        self._owner.line(f"{self._description}: " + ", ".join(parts))

    def done(self, **summary: float) -> None:
        if self._finished:
            return
        self._finished = True
        elapsed = self._owner.clock() - self._started
        parts = [f"{self._completed} {self._unit} in {_duration(elapsed)}", *self._rates(elapsed)]
        if summary:
            parts.append(_summary_text(summary))
        self._owner.line(f"{self._description}: done, " + ", ".join(parts))


class PlainProgress:
    """Progress as plain lines on `console`, for logs and pipes: one line when a task starts (description,
    total, unit), at most one every `interval_s` seconds while it runs (done/total, items/s, tok/s when tokens
    are counted, ETA), and one when it finishes (with its summary values, e.g. an epoch's loss). `interval_s`
    defaults to env LIFT_PROGRESS_INTERVAL, else 30 s; 0 writes a line on every advance."""

    def __init__(
        self, console: Console, interval_s: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._console = console
        self.interval = progress_interval() if interval_s is None else interval_s
        self.clock = clock

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def line(self, text: str) -> None:
        self._console.print(f"[{time.strftime('%H:%M:%S')}] {text}", highlight=False, markup=False, soft_wrap=True)

    def task(self, description: str, total: int, unit: str = "items") -> TaskLike:
        return _PlainTask(self, description, total, unit)


def make_progress(console: Console, interval_s: float | None = None) -> RichProgress | PlainProgress:
    """The CLI's progress display, chosen once here: rich bars when `console` is a terminal (or a notebook),
    plain lines (PlainProgress, every `interval_s` / LIFT_PROGRESS_INTERVAL seconds) when it is a file or pipe."""
    if console.is_terminal or console.is_jupyter:
        return RichProgress(console)
    return PlainProgress(console, interval_s)
