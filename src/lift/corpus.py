"""Lift many documents at once (`lift train PATH... --workers N`): one Ray task per document.

Without an address the batch starts its own local Ray (its CPUs and GPUs detected) and stops it at the end,
also on Ctrl-C or SIGTERM; with one it joins that cluster. Each task
lifts one document with lift_document, in a Ray worker process that loads the base model once and keeps it
for the next documents it is given; at most `workers` run at once, each with its share of the CPUs (torch
threads) and of the GPUs (fractional). An openai generator server is shared: its concurrency is divided
among the workers, so the batch as a whole keeps to synth.concurrency.

Resuming needs nothing of its own: documents already in the store are skipped, and an unfinished one resumes
from its epoch checkpoints (lift_document), so a killed batch, driver or worker, continues on rerun. On a
local Ray a task stops by itself when its driver is gone (even after kill -9; `ray stop` then clears the rest
of that Ray). A
document that fails (unreadable, too short, a worker error) fails alone: its error is reported and the rest
of the batch goes on.
"""

from __future__ import annotations

import glob
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.text.documents import Document, read_document

DOCUMENT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text"}  # what a directory contributes


@dataclass
class CorpusItem:
    path: Path
    document: Document | None = None
    status: str = "pending"  # pending | lifted | skipped | failed
    error: str = ""
    doc_id: str = ""
    seconds: float = 0.0
    tokens: int = 0


@dataclass
class CorpusResult:
    items: list[CorpusItem] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(item.status == status for item in self.items)


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Files named, the document files under directories (recursively, by suffix), and glob patterns; in the
    order given, each file once. A path that matches nothing is kept, so that it fails with its own error."""
    found: list[Path] = []
    for raw in paths:
        text = str(raw)
        if any(ch in text for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            found += [m for m in matches if m.is_file()] or [Path(text)]
        elif Path(text).is_dir():
            found += sorted(p for p in Path(text).rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)
        else:
            found.append(Path(text))
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve() if path.exists() else path, None)
    return list(unique)


def lift_corpus(
    paths: list[Path],
    config: LiftConfig,
    home: Path,
    *,
    workers: int = 1,
    address: str | None = None,
    force: bool = False,
    on_update: Callable[[CorpusItem, int, int], None] | None = None,
) -> CorpusResult:
    """Lift every document of `paths` not yet in the store at `home`; on_update(item, done, total) is called as
    each finishes (lifted, skipped or failed)."""
    import ray

    from lift.store import Store

    started = time.perf_counter()
    store = Store(home)
    result = CorpusResult([CorpusItem(path) for path in paths])
    todo: list[CorpusItem] = []
    done = 0

    def finish(item: CorpusItem) -> None:
        nonlocal done
        done += 1
        if on_update:
            on_update(item, done, len(result.items))

    for item in result.items:
        try:
            item.document = read_document(item.path)
        except LiftError as error:
            item.status, item.error = "failed", str(error)
            finish(item)
            continue
        item.doc_id = item.document.doc_id
        if store.get(item.doc_id) is not None and not force:
            item.status = "skipped"
            finish(item)
        else:
            todo.append(item)
    if todo:
        _run_tasks(todo, config, home, workers, address, force, finish, ray)
    result.seconds = time.perf_counter() - started
    return result


def _run_tasks(todo, config, home, workers, address, force, finish, ray) -> None:
    started_here = not ray.is_initialized()
    if started_here:
        # Ray starts its workers at nice 15: any other work on the machine would starve the user's own lifts
        # (8 % of a core beside two busy processes, where the lift ran at full speed alone)
        os.environ.setdefault("RAY_worker_niceness", "0")
        ray.init(
            address=address or "local",  # never an earlier batch's Ray that a kill -9 left behind
            include_dashboard=False,
            log_to_driver=False,
            logging_level="ERROR",
            runtime_env={"env_vars": {"LIFT_HOME": str(home), "TOKENIZERS_PARALLELISM": "false"}},
        )
    previous_handler = signal.signal(signal.SIGTERM, _interrupt) if started_here else None
    try:
        _schedule(todo, config, workers, None if address else os.getpid(), force, finish, ray)
    finally:
        if started_here:
            ray.shutdown()
            signal.signal(signal.SIGTERM, previous_handler)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM: stop like Ctrl-C, so the local Ray is shut down with the driver


def _schedule(todo, config, workers, driver_pid, force, finish, ray) -> None:
    resources = ray.available_resources()
    workers = max(1, min(workers, len(todo)))
    cpus = max(1.0, float(resources.get("CPU", 1)) // workers)
    gpus = float(resources.get("GPU", 0)) / workers
    per_task = dict(config.to_dict())
    per_task["synth"] = {**per_task["synth"], "concurrency": max(1, config.synth.concurrency // workers)}
    task = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=0)(_lift_in_worker)
    waiting = list(todo)
    running: dict = {}
    while waiting or running:
        while waiting and len(running) < workers:
            item = waiting.pop(0)
            running[task.remote(str(item.path), per_task, force, int(cpus), driver_pid)] = item
        ready, _ = ray.wait(list(running), num_returns=1, timeout=1.0)  # wakes up for Ctrl-C / SIGTERM
        if not ready:
            continue
        item = running.pop(ready[0])
        try:
            outcome = ray.get(ready[0])
            item.status, item.seconds, item.tokens = "lifted", outcome["seconds"], outcome["tokens"]
        except Exception as error:  # noqa: BLE001 - a worker's failure fails its document only
            item.status, item.error = "failed", _worker_error(error)
        finish(item)


_WORKER_MODEL: dict = {}  # in a Ray worker process: the base model, loaded once for every document it lifts


def _lift_in_worker(path: str, config_dict: dict, force: bool, threads: int, driver_pid: int | None) -> dict:
    import torch

    from lift.models import load_model
    from lift.recipe import lift_document

    if driver_pid is not None:
        _exit_with(driver_pid)
    torch.set_num_threads(max(1, threads))
    config = LiftConfig.from_dict(config_dict)
    key = (config.model.name, config.model.device)
    if key not in _WORKER_MODEL:
        _WORKER_MODEL.clear()
        _WORKER_MODEL[key] = load_model(*key)
    started = time.perf_counter()
    result = lift_document(read_document(path), _WORKER_MODEL[key], config, force=force)
    return {"doc_id": result.entry.doc_id, "seconds": time.perf_counter() - started, "tokens": result.manifest.tokens}


def _exit_with(driver_pid: int) -> None:
    """Watch the driver (same machine) and end this worker process when it is gone."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(driver_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    if not any(t.name == "lift-driver-watch" for t in threading.enumerate()):
        threading.Thread(target=watch, name="lift-driver-watch", daemon=True).start()


def _worker_error(error: Exception) -> str:
    """The one line that says why a document failed (a LiftError's message; else the exception's last line)."""
    cause = getattr(error, "cause", None) or error
    if isinstance(cause, LiftError):
        return str(cause)
    lines = [line for line in str(cause).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(cause).__name__
