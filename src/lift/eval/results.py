"""The files of an eval output folder: results.jsonl (one row per question x mode, appended and synced as
answers come, so a killed run resumes where it stopped) and documents.json (what each lifted document cost).
Reading them needs no model: `lift report` rebuilds a report from them alone."""

from __future__ import annotations

import json
import os
from pathlib import Path

RESULTS = "results.jsonl"
DOCUMENTS = "documents.json"


def read_results(path: Path) -> list[dict]:
    """Rows of a results file; a torn last line (the run was killed mid-write) is dropped from the file."""
    if not path.is_file():
        return []
    rows, good_bytes = [], 0
    with path.open("rb") as handle:
        for raw in handle:
            try:
                rows.append(json.loads(raw))
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


def append_rows(path: Path, rows: list[dict]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
