"""The producer-consumer pipeline: streaming packing, the pair stream, lifting with the pipeline on and off,
and resume after SIGKILL mid-generation and mid-training (real subprocesses)."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lift.config import LiftConfig
from lift.data import Example, pack_stream
from lift.pipeline import PairStream
from lift.recipe import lift_document
from lift.synth.stats import SynthesisReport
from lift.testing.fault_server import FaultServer
from lift.text.documents import document_from_text

NAMES = ["Alice", "Bruno", "Carla", "Diego", "Elena", "Fabio", "Greta", "Hugo", "Ines", "Jonas", "Karin", "Luis"]
DOC = " ".join(f"{name} founded the bakery number {i} in Lisbon in {1990 + i}." for i, name in enumerate(NAMES))
FAST = {
    "train.epochs": 2,
    "train.min_steps": 0,
    "train.objective": "qa",  # these tests count QA examples: no document segments beside them
    "train.replay_ratio": 0.0,
    "train.batch_tokens": 64,
    "train.pipeline_window": 2,
}
FAST["infer.gate"] = False  # the auto mode's question gate is tested in test_gate.py


def test_pack_stream_uses_every_example_once_and_a_window_of_one_keeps_the_order():
    examples = [Example(input_ids=[i] * (1 + i % 5), labels=[-100] + [i] * (i % 5)) for i in range(40)]
    rows = list(pack_stream(iter(examples), batch_tokens=12, window=8, seed=0))
    seen = sorted(tuple(t for t in row.input_ids[0].tolist()) for row in rows)
    assert sum(r.num_examples for r in rows) == 40
    assert sorted(t for row in seen for t in row) == sorted(t for e in examples for t in e.input_ids)
    assert all(r.num_tokens <= 12 for r in rows)
    in_order = list(pack_stream(iter(examples), batch_tokens=12, window=1, seed=0))
    assert [t for r in in_order for t in r.input_ids[0].tolist()] == [t for e in examples for t in e.input_ids]


def test_the_consumer_gets_pairs_while_the_producer_is_still_working():
    first_seen = threading.Event()

    def produce(emit, should_stop):
        emit("pair-1")
        assert first_seen.wait(5), "the consumer never saw the first pair while generation went on"
        emit("pair-2")
        return SynthesisReport(qa_pairs_kept=2)

    stream = PairStream(produce, queue_size=4).start()
    received = []
    for pair in stream:
        received.append(pair)
        first_seen.set()
    assert received == ["pair-1", "pair-2"] and stream.stats.qa_pairs_kept == 2


def test_a_producer_error_reaches_the_consumer_and_a_stopped_consumer_stops_the_producer():
    def failing(emit, should_stop):
        emit("pair")
        raise RuntimeError("generator exploded")

    with pytest.raises(RuntimeError, match="generator exploded"):
        list(PairStream(failing, queue_size=4).start())

    stopped = threading.Event()

    def endless(emit, should_stop):
        while not should_stop():
            emit("pair")
        stopped.set()
        return SynthesisReport()

    stream = PairStream(endless, queue_size=2).start()
    for _ in stream:
        break  # the trainer dies after one pair
    stream.close()
    assert stopped.wait(5)


class _Recorder:
    """Progress that records when each training step and the end of generation happen."""

    def __init__(self):
        self.steps: list[float] = []
        self.generation_done: float | None = None
        self.totals: dict[str, int] = {}  # task -> the total it announced

    def task(self, description, total, unit="items"):
        recorder = self
        self.totals[description] = total

        class Task:
            def advance(self, n=1, tokens=0):
                if description.startswith("train epoch 1/"):
                    recorder.steps.append(time.perf_counter())

            def done(self, **summary):
                if description.startswith("generate"):
                    recorder.generation_done = time.perf_counter()

        return Task()


def _openai(server: FaultServer, concurrency: int = 2) -> dict:
    return {
        "synth.generator": "openai",
        "synth.generator_url": server.url,
        "synth.generator_model": "fault-model",
        "synth.concurrency": concurrency,
    }


def test_the_pipeline_trains_while_the_remote_generator_is_still_answering(tiny, lift_home):
    with FaultServer(latency=0.3) as server:
        config = LiftConfig().with_overrides({**FAST, **_openai(server)})
        recorder = _Recorder()
        result = lift_document(document_from_text(DOC), tiny, config, home=lift_home, progress=recorder)
    assert recorder.steps and recorder.steps[0] < recorder.generation_done  # trained before generation ended
    manifest = result.manifest
    assert manifest.pipeline is True and manifest.generator == "openai:fault-model"
    synthesis = manifest.synthesis
    assert synthesis.jobs == len(NAMES) and synthesis.requests == len(NAMES) and synthesis.failed == 0
    assert synthesis.qa_pairs_kept == manifest.training.qa_examples == manifest.training.examples
    assert {"generate", "train", "trainer_wait", "total"} <= set(manifest.timings_s)


def test_the_pipelines_first_epoch_counts_the_template_pairs_the_lift_trains_on(tiny, lift_home):
    """The streamed epoch's learning rate decays over an estimate of the examples to come. It was m pairs per
    sentence, while the template keeps one per 4 words of a sentence (and finds fewer phrases in some): the demo
    announced 310 examples and trained 159, so epoch 1's rate decayed from a wrong total."""
    config = LiftConfig().with_overrides({**FAST, "train.replay_ratio": 0.5, "train.replay_max_tokens": 8})
    recorder = _Recorder()
    manifest = lift_document(document_from_text(DOC), tiny, config, home=lift_home, progress=recorder).manifest
    assert manifest.pipeline and manifest.generator == "template-v1"
    assert recorder.totals["train epoch 1/2"] == manifest.training.examples == recorder.totals["train epoch 2/2"]


def test_pipeline_and_sequential_train_on_the_same_examples(tiny_model_dir, lift_home):
    from lift.models import load_model

    manifests = []
    for pipeline in (True, False):
        config = LiftConfig().with_overrides(
            {**FAST, "train.pipeline": pipeline, "train.replay_ratio": 0.5, "train.replay_max_tokens": 8}
        )
        loaded = load_model(str(tiny_model_dir), device="cpu")
        document = document_from_text(DOC, title=f"pipeline={pipeline}")
        manifests.append(lift_document(document, loaded, config, home=lift_home, force=True).manifest)
    piped, sequential = manifests
    for key in ("examples", "qa_examples", "replay_examples", "tokens"):
        assert getattr(piped.training, key) == getattr(sequential.training, key), key
    assert piped.synthesis.cache_hits == 0 and sequential.synthesis.cache_hits == len(NAMES)


def _cache_rows(home: Path) -> int:
    path = home / "cache.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM generations").fetchone()[0])
    except sqlite3.OperationalError:  # the table is not created yet
        return 0


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_sigkill_mid_generation_and_mid_training_then_the_same_command_finishes(tiny_model_dir, tmp_path):
    home = tmp_path / "home"
    document = tmp_path / "doc.txt"
    document.write_text(DOC, encoding="utf-8")
    env = {**os.environ, "LIFT_HOME": str(home)}
    with FaultServer(latency=0.4) as server:
        command = [
            sys.executable, "-m", "lift.cli", "train", str(document), "--model", str(tiny_model_dir),
            "--generator", "openai", "--generator-url", server.url, "--generator-model", "fault-model",
            "--concurrency", "1", "--epochs", "8", "--set", "train.replay_ratio=0", "--set", "train.batch_tokens=64",
        ]  # fmt: skip

        # 1. killed mid-generation: one request at a time, 0.4 s each; kill after 3 are committed
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _wait_for(lambda: _cache_rows(home) >= 3, 120, "3 cached generations")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        finished_before_kill = _cache_rows(home)
        assert 3 <= finished_before_kill < len(NAMES)

        # 2. the same command: cached generations are reused; killed again once epoch 1 is checkpointed (an epoch
        #    takes about a second here, so 8 epochs leave seconds between that checkpoint and the run's end)
        requests_before = server.log.requests  # the kill may have left one request answered but not cached
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _wait_for(lambda: any(home.glob("work/*/checkpoints/epoch-*")), 120, "a training checkpoint")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        assert _cache_rows(home) == len(NAMES)
        assert server.log.requests - requests_before == len(NAMES) - finished_before_kill  # the rest only
        assert not (home / "documents").exists() or not any((home / "documents").iterdir())

        # 3. the same command again: every generation from the cache, training resumed from its checkpoint
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    manifests = list(home.glob("documents/*/manifest.json"))
    assert len(manifests) == 1
    manifest = json.loads(manifests[0].read_text())
    assert manifest["synthesis"]["cache_hits"] == len(NAMES) and manifest["synthesis"]["requests"] == 0
    assert manifest["training"]["resumed_from_epoch"] >= 1
    assert (manifests[0].parent / "adapter" / "adapter_model.safetensors").exists()
