"""Progress reporting for long steps: rich bars with stage, items/s, tokens/s and ETA, or nothing.

Library functions take a ProgressLike and call task(...).advance(...); the CLI passes a RichProgress,
tests and library users get NullProgress by default.
"""

from __future__ import annotations

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


class TaskLike(Protocol):
    def advance(self, n: int = 1, tokens: int = 0) -> None: ...

    def done(self) -> None: ...


class ProgressLike(Protocol):
    def task(self, description: str, total: int, unit: str = "items") -> TaskLike: ...


class _NullTask:
    def advance(self, n: int = 1, tokens: int = 0) -> None:
        pass

    def done(self) -> None:
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
        return Text("  ".join(parts), style="progress.data.speed")


class _RichTask:
    def __init__(self, progress: Progress, task_id: int) -> None:
        self._progress = progress
        self._task_id = task_id
        self._tokens = 0

    def advance(self, n: int = 1, tokens: int = 0) -> None:
        self._tokens += tokens
        self._progress.update(self._task_id, advance=n, tokens=self._tokens)

    def done(self) -> None:
        task = self._progress.tasks[self._task_id]
        self._progress.update(self._task_id, total=task.completed)
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
