"""Lifting jobs for the server: documents uploaded over HTTP are lifted one at a time, each in a child
process (lift_job.py) so chat keeps being answered meanwhile and a job can be cancelled by killing it.

    $LIFT_HOME/jobs/<doc-id>/   document.txt, job.json, status.json (removed when the job ends)

A job dir left behind by a server that was stopped or killed mid-job is queued again at the next start; the
lift resumes from its last epoch checkpoint. The store entry appears only when a lift is complete, so the
store never holds a half-lifted document.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lift.config import LiftConfig
from lift.serve.lift_job import read_status, write_status
from lift.store import Store
from lift.text.documents import document_from_text


@dataclass
class Job:
    doc_id: str
    title: str
    state: str = "queued"  # queued | running | done | failed | cancelled
    error: str | None = None
    created: float = field(default_factory=time.time)
    process: subprocess.Popen | None = None


class LiftJobs:
    def __init__(
        self, home: Path, config: LiftConfig, on_done: Callable[[str], None] = lambda doc_id: None, poll_s: float = 0.3
    ) -> None:
        self.home = home
        self.store = Store(home)
        self.config = config
        self.on_done = on_done  # called with the doc id when an entry was written (the engine unloads stale adapters)
        self.poll_s = poll_s
        self.root = home / "jobs"
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._runner = threading.Thread(target=self._run, name="lift-jobs", daemon=True)

    def start(self) -> LiftJobs:
        self.root.mkdir(parents=True, exist_ok=True)
        for job_dir in sorted(self.root.iterdir(), key=lambda p: p.stat().st_mtime):  # interrupted earlier
            if (job_dir / "job.json").is_file() and (job_dir / "document.txt").is_file():
                title = json.loads((job_dir / "job.json").read_text(encoding="utf-8"))["title"]
                self._jobs[job_dir.name] = Job(job_dir.name, title)
            else:
                shutil.rmtree(job_dir, ignore_errors=True)
        self._runner.start()
        self._wake.set()
        return self

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        with self._lock:
            running = [job for job in self._jobs.values() if job.process is not None]
        for job in running:  # its job dir stays: the next start resumes it
            job.process.kill()
        self._runner.join(timeout=30)

    def submit(self, text: str, title: str) -> Job:
        """Queue a document (LiftError if it is empty). Already lifted or already queued: that job/entry."""
        document = document_from_text(text, title=title)
        doc_id = document.doc_id
        with self._lock:
            job = self._jobs.get(doc_id)
            if job is not None and job.state in ("queued", "running"):
                return job
            if self.store.get(doc_id) is not None:
                return Job(doc_id, title, state="done")
            job_dir = self.root / doc_id
            staging = self.root / f".{doc_id}.new"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            (staging / "document.txt").write_text(document.text, encoding="utf-8")
            job_info = {"title": title, "config": self.config.to_dict()}
            (staging / "job.json").write_text(json.dumps(job_info), encoding="utf-8")
            shutil.rmtree(job_dir, ignore_errors=True)
            os.replace(staging, job_dir)
            job = self._jobs[doc_id] = Job(doc_id, title)
        self._wake.set()
        return job

    def get(self, doc_id: str) -> dict | None:
        with self._lock:
            job = self._jobs.get(doc_id)
        if job is None:
            return None
        status = {"id": doc_id, "title": job.title, "status": job.state, "created": int(job.created)}
        if job.state == "running":
            progress = read_status(self.root / doc_id)
            status["progress"] = {k: progress[k] for k in ("stage", "done", "total", "unit", "tasks") if k in progress}
        if job.error:
            status["error"] = job.error
        return status

    def all(self) -> list[dict]:
        with self._lock:
            ids = list(self._jobs)
        return [status for doc_id in ids if (status := self.get(doc_id)) is not None]

    def cancel(self, doc_id: str) -> bool:
        """Stop a queued or running job (its partial work is removed). False when there was none."""
        with self._lock:
            job = self._jobs.get(doc_id)
            if job is None or job.state not in ("queued", "running"):
                return False
            job.state = "cancelled"
            process = job.process
        if process is not None:
            process.kill()
            process.wait()
        shutil.rmtree(self.root / doc_id, ignore_errors=True)
        for checkpoints in (self.home / "work").glob(f"{doc_id}-*"):
            shutil.rmtree(checkpoints, ignore_errors=True)
        return True

    # ------------------------------------------------------------------ runner

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            while not self._stop.is_set() and (job := self._next()) is not None:
                self._lift(job)

    def _next(self) -> Job | None:
        with self._lock:
            queued = [job for job in self._jobs.values() if job.state == "queued"]
            if not queued:
                return None
            job = min(queued, key=lambda j: j.created)
            job.state = "running"
            job_dir = self.root / job.doc_id
            write_status(job_dir, state="running", stage="starting", done=0, total=0)
            env = {**os.environ, "LIFT_HOME": str(self.home)}
            job.process = subprocess.Popen(
                [sys.executable, "-m", "lift.serve.lift_job", str(job_dir)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            return job

    def _lift(self, job: Job) -> None:
        assert job.process is not None
        _, stderr = job.process.communicate()
        code = job.process.returncode
        job_dir = self.root / job.doc_id
        status = read_status(job_dir)
        with self._lock:
            job.process = None
            if job.state == "cancelled" or self._stop.is_set():
                return
            if code == 0 and status.get("state") == "done":
                job.state = "done"
            else:
                job.state = "failed"
                tail = (stderr or "").strip().splitlines()
                job.error = status.get("error") or (tail[-1] if tail else f"lifting exited with code {code}")
        shutil.rmtree(job_dir, ignore_errors=True)  # failed: a new upload retries (and resumes its checkpoints)
        if job.state == "done":
            self.on_done(job.doc_id)
