"""The files of an eval output folder: results.jsonl (one row per question x mode, appended and synced as
answers come, so a killed run resumes where it stopped) and documents.json (what each lifted document cost).
Reading them needs no model: `lift report` rebuilds a report from them alone."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = "results.jsonl"
DOCUMENTS = "documents.json"


@dataclass
class EvalRow:
    """One answer: a question of a suite asked in one mode, and how it scored (a line of results.jsonl)."""

    suite: str
    item_id: str
    mode: str
    doc_id: str = ""
    document_title: str = ""
    question: str = ""
    prediction: str = ""
    references: list[str] = field(default_factory=list)
    scores: dict[str, float | None] = field(default_factory=dict)
    group: dict[str, Any] = field(default_factory=dict)  # the suite's breakdown keys (length, depth, form, ...)
    prompt_tokens: int = 0
    seconds: float = 0.0
    batch_size: int = 1
    adapter: str | None = None  # the document id whose adapter answered, None for the base model
    route: str | None = None  # auto: "adapter" or "base"
    gate_score: float | None = None  # auto: the question's gate score
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know, kept as they were

    @property
    def key(self) -> tuple[str, str, str]:
        return self.suite, self.item_id, self.mode

    def to_dict(self) -> dict[str, Any]:
        stored = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        if self.mode != "auto":  # rows of the other modes never carried a route
            stored = {k: v for k, v in stored.items() if k not in ("route", "gate_score")}
        return {**stored, **self.extra}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> EvalRow:
        """A row as any version wrote it."""
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {k: v for k, v in stored.items() if k in known}
        return cls(**values, extra={k: v for k, v in stored.items() if k not in known})


def read_results(path: Path) -> list[EvalRow]:
    """Rows of a results file; a torn last line (the run was killed mid-write) is dropped from the file."""
    if not path.is_file():
        return []
    rows, good_bytes = [], 0
    with path.open("rb") as handle:
        for raw in handle:
            try:
                rows.append(EvalRow.from_dict(json.loads(raw)))
            except (json.JSONDecodeError, UnicodeDecodeError):
                break
            if not raw.endswith(b"\n"):
                rows.pop()  # complete JSON but no newline: rewrite it rather than append onto it
                break
            good_bytes += len(raw)
    if good_bytes != path.stat().st_size:
        with path.open("r+b") as handle:
            handle.truncate(good_bytes)
    return rows


def append_rows(path: Path, rows: list[EvalRow]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
