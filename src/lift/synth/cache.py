"""SQLite cache of generator outputs, content-addressed so a rerun or a killed run reuses finished work.

The key hashes everything that determines an output: document text hash, sentence index, prompt version,
generator id and sampling parameters. Each output is committed as soon as it is generated. A second table
holds binary model outputs the same way (the distillation teacher's top-k log-probabilities).
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
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS blobs ("
                    " key TEXT PRIMARY KEY, kind TEXT NOT NULL, output BLOB NOT NULL, created REAL NOT NULL)"
                )
                self._db.commit()
                return
            except sqlite3.OperationalError as error:
                self._db.rollback()
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(_JITTER.uniform(0.01, 0.1))

    def get_many(self, keys: list[str]) -> dict[str, str]:
        return self._get("generations", keys)

    def put_many(self, generator: str, outputs: dict[str, str]) -> None:
        self._put("generations", "generator", generator, outputs)

    def get_blobs(self, keys: list[str]) -> dict[str, bytes]:
        """Binary outputs (the teacher's targets) by key."""
        return self._get("blobs", keys)

    def put_blobs(self, kind: str, outputs: dict[str, bytes]) -> None:
        self._put("blobs", "kind", kind, outputs)

    def _get(self, table: str, keys: list[str]) -> dict:
        found: dict = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(f"SELECT key, output FROM {table} WHERE key IN ({marks})", chunk)
                found.update(dict(rows.fetchall()))
        return found

    def _put(self, table: str, made_by: str, name: str, outputs: dict) -> None:
        now = time.time()
        with self._lock, self._db:  # one transaction: a batch is either fully stored or not at all
            self._db.executemany(
                f"INSERT OR REPLACE INTO {table} (key, {made_by}, output, created) VALUES (?, ?, ?, ?)",
                [(key, name, output, now) for key, output in outputs.items()],
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
