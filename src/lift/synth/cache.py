"""SQLite cache of generator outputs, content-addressed so a rerun or a killed run reuses finished work.

The key hashes everything that determines an output: document text hash, sentence index, prompt version,
generator id and sampling parameters. Each output is committed as soon as it is generated.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import threading
import time
from pathlib import Path

_JITTER = random.Random()  # its own generator: a retry must not move the seeded global one


def generation_key(**parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class GenerationCache:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one connection shared by the training thread and the generation producer, serialised by a lock
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._lock = threading.Lock()
        self._create(deadline=time.monotonic() + 30)

    def _create(self, deadline: float) -> None:
        """WAL mode and the table. Processes opening a new cache at once (torchrun's ranks, a corpus batch's
        workers) can get 'database is locked' here without SQLite's busy timeout applying, so retry."""
        while True:
            try:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS generations ("
                    " key TEXT PRIMARY KEY, generator TEXT NOT NULL, output TEXT NOT NULL, created REAL NOT NULL)"
                )
                self._db.commit()
                return
            except sqlite3.OperationalError as error:
                self._db.rollback()
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(_JITTER.uniform(0.01, 0.1))

    def get_many(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, output FROM generations WHERE key IN ({marks})", chunk)
                found.update(dict(rows.fetchall()))
        return found

    def put_many(self, generator: str, outputs: dict[str, str]) -> None:
        now = time.time()
        with self._lock, self._db:  # one transaction: a batch is either fully stored or not at all
            self._db.executemany(
                "INSERT OR REPLACE INTO generations (key, generator, output, created) VALUES (?, ?, ?, ?)",
                [(key, generator, output, now) for key, output in outputs.items()],
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM generations").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> GenerationCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
