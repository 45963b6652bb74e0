"""Where the benchmark data lives: --data-dir, else $LIFT_DATA, else eval.data_dir, else ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

from lift.errors import LiftError

SUBDIRS = {
    "niah": "needle_haystack_pg_essays",
    "squad": "squad_v1.1_dev",
    "loogle": "loogle_sample",
    "longbench": "longbench_subset_minilongbench",
}


def resolve_data_dir(explicit: str | Path | None = None, configured: str | None = None) -> Path:
    for candidate in (explicit, os.environ.get("LIFT_DATA"), configured):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_dir():
                raise LiftError(f"data directory not found: {path}")
            return path
    for path in (Path.cwd() / ".." / "shared" / "data", Path(__file__).resolve().parents[4] / "shared" / "data"):
        if path.is_dir():
            return path.resolve()
    raise LiftError("no benchmark data found: pass --data-dir, or set LIFT_DATA (see the README's data section)")


def suite_dir(data_dir: Path, suite: str) -> Path:
    path = data_dir / SUBDIRS[suite]
    if not path.is_dir():
        raise LiftError(f"{suite} data not found: expected the folder {path} (see the README's data section)")
    return path
