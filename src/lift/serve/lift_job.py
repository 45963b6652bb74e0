"""One lifting job, run by the server as a child process so the server's own model keeps answering:

    python -m lift.serve.lift_job JOB_DIR

JOB_DIR holds document.txt, job.json ({"title", "config"}); the child writes status.json (state, stage,
done/total of the current step, error) as it goes, each write atomic. The store entry appears only when the
lift is complete (Store.write), and training checkpoints per epoch let a killed job resume where it was.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from lift.progress import TaskLike

_write_lock = threading.Lock()


def write_status(job_dir: Path, **status) -> None:
    status["updated"] = time.time()
    with _write_lock:  # the pipeline reports from two threads (generation and training)
        tmp = job_dir / f"status.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(status), encoding="utf-8")
        os.replace(tmp, job_dir / "status.json")


def read_status(job_dir: Path) -> dict:
    try:
        return json.loads((job_dir / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class StatusFileProgress:
    """ProgressLike that records the steps in progress in status.json (at most every `every_s` seconds): all
    of them under "tasks", and the one started last as stage/done/total."""

    def __init__(self, job_dir: Path, every_s: float = 0.5) -> None:
        self.job_dir = job_dir
        self.every_s = every_s
        self.active: list[_StatusTask] = []
        self.written = 0.0

    def task(self, description: str, total: int, unit: str = "items") -> TaskLike:
        task = _StatusTask(self, description, total, unit)
        self.active.append(task)
        self.write(force=True)
        return task

    def write(self, force: bool = False) -> None:
        if not force and time.monotonic() - self.written < self.every_s:
            return
        self.written = time.monotonic()
        tasks = [{"stage": t.description, "done": t.completed, "total": t.total, "unit": t.unit} for t in self.active]
        current = tasks[-1] if tasks else {"stage": "working", "done": 0, "total": 0, "unit": "items"}
        write_status(self.job_dir, state="running", **current, tasks=tasks, pid=os.getpid())


class _StatusTask:
    def __init__(self, owner: StatusFileProgress, description: str, total: int, unit: str) -> None:
        self.owner, self.description, self.total, self.unit = owner, description, total, unit
        self.completed = 0

    def advance(self, n: int = 1, tokens: int = 0) -> None:
        self.completed += n
        self.owner.write()

    def done(self, **summary: float) -> None:
        self.completed = max(self.completed, self.total)
        if self in self.owner.active:
            self.owner.active.remove(self)
        self.owner.write(force=True)


def _exit_with_parent() -> None:
    """The server started this process; if the server dies, so does the job (its job dir stays, and the next
    server start queues it again)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


def main(job_dir: Path) -> int:
    from lift.config import LiftConfig
    from lift.errors import LiftError
    from lift.models import load_model
    from lift.recipe import lift_document
    from lift.text.documents import document_from_text

    _exit_with_parent()
    job = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))
    write_status(job_dir, state="running", stage="loading model", done=0, total=0, pid=os.getpid())
    try:
        config = LiftConfig.from_dict(job["config"])
        document = document_from_text((job_dir / "document.txt").read_text(encoding="utf-8"), title=job["title"])
        loaded = load_model(config.model.name, config.model.device)
        result = lift_document(document, loaded, config, force=True, progress=StatusFileProgress(job_dir))
    except (LiftError, ValueError, OSError) as error:
        write_status(job_dir, state="failed", error=str(error))
        return 1
    write_status(job_dir, state="done", doc_id=result.entry.doc_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
