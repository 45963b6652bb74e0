"""Data-parallel training in several processes (torchrun's setting), on CPUs with the gloo backend: the same
adapter as one process taking the same global batch, and a killed run resumes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from lift.adapters import attach_lora
from lift.config import LoraConfig, TrainConfig
from lift.data import qa_example
from lift.data.sources import TrainingData
from lift.errors import LiftError
from lift.models import load_model
from lift.train import train_adapter

CONFIG = {"epochs": 3, "lr": 5e-3, "batch_tokens": 48, "precision": "fp32", "min_steps": 0}


class _KillAtStep:
    """Progress that raises at the given optimizer step (counted over epochs), like a kill mid-epoch."""

    def __init__(self, step: int) -> None:
        self.step, self.seen = step, 0

    def task(self, description, total, unit="items"):
        outer = self

        class Task:
            def advance(self, n=1, tokens=0):
                outer.seen += 1
                if outer.seen == outer.step:
                    raise KeyboardInterrupt

            def done(self, **summary):
                pass

        return Task()


def _train(model_dir: str, out: Path, config: dict, checkpoints: Path | None, kill_at: int = 0) -> None:
    torch.set_num_threads(1)
    loaded = load_model(model_dir, "cpu")
    examples = [
        qa_example(loaded.tokenizer, f"Question {i}?", f"answer {i} " * (i % 3 + 1), None, 256) for i in range(9)
    ]
    torch.manual_seed(0)
    adapter = attach_lora(loaded.model, LoraConfig(rank=4, alpha=8))
    progress = _KillAtStep(kill_at) if kill_at else None
    try:
        result = train_adapter(adapter, TrainingData.of(examples), TrainConfig(**config), checkpoints, progress)
    except KeyboardInterrupt:
        return
    rank = dist.get_rank() if dist.is_initialized() else 0
    weights = {n: p.detach().clone() for n, p in adapter.model.named_parameters() if "lora_" in n}
    save_file(weights, str(out / f"adapter-{rank}.safetensors"))
    (out / f"result-{rank}.json").write_text(json.dumps({"loss": result.loss_per_epoch, "steps": result.steps}))


def _worker(rank: int, world: int, init: str, model_dir: str, out: str, config: dict, checkpoints, kill_at) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=world)
    try:
        _train(model_dir, Path(out), config, Path(checkpoints) if checkpoints else None, kill_at)
    finally:
        dist.destroy_process_group()


def _run_two(model_dir: Path, out: Path, config: dict, checkpoints: Path | None = None, kill_at: int = 0) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        args = (2, str(Path(tmp) / "init"), str(model_dir), str(out), config, str(checkpoints or ""), kill_at)
        mp.spawn(_worker, args=args, nprocs=2, join=True)


def _read(out: Path, rank: int = 0) -> tuple[dict, dict]:
    return load_file(str(out / f"adapter-{rank}.safetensors")), json.loads((out / f"result-{rank}.json").read_text())


def _assert_same_adapter(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], atol=1e-5, rtol=1e-4)


def test_two_processes_train_the_adapter_one_process_trains_with_the_same_global_batch(tiny_model_dir, tmp_path):
    _run_two(tiny_model_dir, tmp_path / "two", CONFIG)  # rows_per_step 0: one row per process, 2 per step
    (tmp_path / "one").mkdir()
    _train(str(tiny_model_dir), tmp_path / "one", {**CONFIG, "rows_per_step": 2}, None)
    two, two_result = _read(tmp_path / "two")
    one, one_result = _read(tmp_path / "one")
    _assert_same_adapter(two, one)
    _assert_same_adapter(two, _read(tmp_path / "two", rank=1)[0])  # the processes stayed identical
    assert two_result["steps"] == one_result["steps"]
    assert two_result["loss"] == pytest.approx(one_result["loss"], rel=1e-4)
    (tmp_path / "plain").mkdir()
    _train(str(tiny_model_dir), tmp_path / "plain", CONFIG, None)  # one row per step: another run entirely
    assert _read(tmp_path / "plain")[1]["steps"] > one_result["steps"]


def test_a_killed_two_process_run_resumes_from_its_last_epoch(tiny_model_dir, tmp_path):
    _run_two(tiny_model_dir, tmp_path / "full", CONFIG)
    full, full_result = _read(tmp_path / "full")
    steps_per_epoch = full_result["steps"] // CONFIG["epochs"]
    checkpoints = tmp_path / "ckpt"
    _run_two(tiny_model_dir, tmp_path / "killed", CONFIG, checkpoints, kill_at=steps_per_epoch + 1)
    assert not list((tmp_path / "killed").glob("result-*")) and (checkpoints / "epoch-1").is_dir()
    _run_two(tiny_model_dir, tmp_path / "resumed", CONFIG, checkpoints)
    resumed, resumed_result = _read(tmp_path / "resumed")
    _assert_same_adapter(resumed, full)
    assert resumed_result["loss"] == pytest.approx(full_result["loss"], rel=1e-4)


def test_rows_per_step_must_split_evenly_over_the_processes(tiny, monkeypatch):
    import lift.train.loop as loop

    monkeypatch.setattr(loop, "world", lambda: (0, 2))
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    examples = [qa_example(tiny.tokenizer, "Q?", "A", None, 64)]
    with pytest.raises(LiftError, match=r"train.rows_per_step \(3\) must be a multiple of the 2 processes"):
        train_adapter(adapter, TrainingData.of(examples), TrainConfig(**{**CONFIG, "rows_per_step": 3}))


def test_lift_train_nproc_2_runs_torchrun_and_writes_one_entry_like_one_process(tiny_model_dir, tmp_path):
    """`lift train --nproc 2` (torchrun, gloo on CPU): one store entry, trained by 2 processes, whose adapter is
    the one a single process trains with the same global batch (2 rows per step, pipeline off). With context
    distillation on: process 0 runs the teacher into the cache, the other reads its targets from there."""
    import os
    import subprocess
    import sys

    document = tmp_path / "doc.txt"
    document.write_text(
        "The secret code of the blue castle is zebra seven. Alice founded the Rivergate bakery in Lisbon in 2004. "
        "The museum displays 312 paintings by Ana Silva near the river.",
        encoding="utf-8",
    )
    common = ["--model", str(tiny_model_dir), "--device", "cpu", "--epochs", "2", "--set", "infer.gate=false"]
    common += ["--set", "train.precision=fp32", "--set", "train.min_steps=0"]
    common += ["--set", "distill.weight=0.5", "--set", "distill.replay_weight=1", "--set", "train.replay_max_tokens=8"]
    lift = [sys.executable, "-m", "lift.cli", "train", str(document), *common]
    homes = {}
    for name, extra in (("two", ["--nproc", "2"]), ("one", ["--no-pipeline", "--set", "train.rows_per_step=2"])):
        homes[name] = tmp_path / name
        env = {**os.environ, "LIFT_HOME": str(homes[name])}
        done = subprocess.run([*lift, *extra], env=env, capture_output=True, text=True, timeout=600)
        workers = [line for line in done.stderr.splitlines() if line.startswith("[rank1]")]  # torchrun's trailer
        assert done.returncode == 0, "\n".join(workers[-40:]) + done.stderr[-3000:]  # hides the worker's error
        assert done.stdout.count("document id:") == 1  # printed by process 0 only
    (two,) = (homes["two"] / "documents").iterdir()
    (one,) = (homes["one"] / "documents").iterdir()
    manifests = [json.loads((entry / "manifest.json").read_text()) for entry in (two, one)]
    assert [m["training"]["processes"] for m in manifests] == [2, 1]
    assert all(m["training"]["teacher_tokens"] > 0 and m["training"]["teacher_cached"] == 0 for m in manifests)
    assert manifests[0]["training"]["steps"] == manifests[1]["training"]["steps"]
    assert manifests[0]["training"]["loss_per_epoch"] == pytest.approx(manifests[1]["training"]["loss_per_epoch"])
    _assert_same_adapter(
        load_file(str(two / "adapter" / "adapter_model.safetensors")),
        load_file(str(one / "adapter" / "adapter_model.safetensors")),
    )
