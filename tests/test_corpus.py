"""A batch of documents on a local Ray (`lift train PATH... --workers N`), on the tiny model: a bad file fails
alone, finished documents are skipped on rerun, and a killed driver's batch continues where it stopped."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lift.corpus import expand_paths
from lift.store import Store

TEXT = (
    "Document {i} says that the secret code of tower {i} is zebra {i}. Alice founded the bakery number {i} in "
    "Lisbon in the year 200{i}. The museum displays {i} paintings by Ana Silva near the river every summer."
)


def _corpus(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"doc{i}.txt"
        path.write_text(TEXT.format(i=i), encoding="utf-8")
        paths.append(path)
    return paths


def _lift(args: list[str], home: Path, model_dir: Path, epochs: int = 1, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "lift.cli", "train", *args, "--model", str(model_dir), "--device", "cpu"]
    command += [
        "--epochs",
        str(epochs),
        "--set",
        "train.min_steps=0",
        "--set",
        "infer.gate=false",
        "--set",
        "train.replay_ratio=0",
    ]
    env = {**os.environ, "LIFT_HOME": str(home)}
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def _ray_worker_niceness(home: Path) -> list[int]:
    """The nice values of the Ray workers lifting into `home` (their environment names it; the name a worker
    shows is its task's, cut to 15 characters)."""
    values = []
    for proc in Path("/proc").iterdir():
        try:
            if not (proc / "comm").read_text().startswith("ray::_lift_in_w"):
                continue
            if f"LIFT_HOME={home}".encode() not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            values.append(int((proc / "stat").read_text().rsplit(")", 1)[1].split()[16]))
        except (OSError, ValueError):
            continue  # not a process, or it ended meanwhile
    return values


def test_paths_expand_to_files_directories_and_globs(tmp_path):
    docs = _corpus(tmp_path / "docs", 2)
    (tmp_path / "docs" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "docs" / "sub").mkdir()
    (tmp_path / "docs" / "sub" / "notes.md").write_text("# Notes\nSome text.", encoding="utf-8")
    found = expand_paths([tmp_path / "docs", str(tmp_path / "docs" / "doc*.txt"), tmp_path / "missing.txt"])
    assert found == [docs[0].resolve(), docs[1].resolve(), (tmp_path / "docs/sub/notes.md").resolve(),
                     tmp_path / "missing.txt"]  # fmt: skip


def test_a_batch_lifts_each_document_once_and_a_bad_file_fails_alone(tiny_model_dir, tmp_path):
    home = tmp_path / "home"
    docs = _corpus(tmp_path / "docs", 3)
    (tmp_path / "docs" / "bad.txt").write_bytes(b"abc\x00def")
    first = _lift([str(tmp_path / "docs"), "--workers", "2"], home, tiny_model_dir)
    output = first.communicate(timeout=600)[0]
    assert first.returncode == 1, output  # one document failed
    assert "bad.txt: FAILED: document" in output and "looks binary" in output
    assert "lifted 3, skipped 0, failed 1" in output
    assert len(Store(home).entries()) == 3
    again = _lift([str(p) for p in docs], home, tiny_model_dir)
    output = again.communicate(timeout=600)[0]
    assert again.returncode == 0 and "lifted 0, skipped 3, failed 0" in output, output


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_killed_batch_lifts_only_the_missing_documents_on_rerun(tiny_model_dir, tmp_path):
    home = tmp_path / "home"
    docs = _corpus(tmp_path / "docs", 3)
    driver = _lift([str(p) for p in docs], home, tiny_model_dir, epochs=20)
    deadline = time.monotonic() + 900
    while not Store(home).entries():  # the first document has landed
        if driver.poll() is not None or time.monotonic() > deadline:
            driver.kill()
            pytest.fail(f"no document landed while the batch ran:\n{driver.communicate()[0][-3000:]}")
        time.sleep(0.5)
    if Path("/proc").is_dir():  # the lifts run at the user's priority, not Ray's nice 15 for its workers
        niceness = _ray_worker_niceness(home)
        for _ in range(40):  # (between two documents the worker shows as idle for a moment)
            if niceness:
                break
            time.sleep(0.25)
            niceness = _ray_worker_niceness(home)
        assert niceness and set(niceness) == {os.nice(0)}
    driver.send_signal(signal.SIGTERM)  # `kill`: the driver stops its own Ray on the way out
    driver.wait(timeout=120)
    landed = {e.doc_id for e in Store(home).entries()}
    assert 1 <= len(landed) < 3
    rerun = _lift([str(p) for p in docs], home, tiny_model_dir, epochs=20)
    output = rerun.communicate(timeout=900)[0]
    assert rerun.returncode == 0, output
    assert f"lifted {3 - len(landed)}, skipped {len(landed)}, failed 0" in output
    assert len(Store(home).entries()) == 3
