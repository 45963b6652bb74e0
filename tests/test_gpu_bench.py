"""benchmarks/gpu/run.py runs on the CPU with a tiny shape, so the script a lent GPU machine gets cannot rot."""

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_benchmark_runs_end_to_end_with_a_tiny_shape_on_the_cpu(tiny_model_dir, tmp_path):
    out = tmp_path / "gpu"
    command = [sys.executable, str(ROOT / "benchmarks/gpu/run.py"), "--tiny", "--device", "cpu"]
    done = subprocess.run(
        [*command, "--tokenizer", str(tiny_model_dir), "--out", str(out)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["loop"] for r in rows] == ["plain_peft", "lift_loop", "lift_block_mask"]
    assert all(int(r["tokens"]) > 0 and float(r["tokens_per_s"]) > 0 for r in rows)
    assert len({r["tokens"] for r in rows}) == 1  # every loop trains on the same examples
    (e2e,) = csv.DictReader((out / "e2e.csv").open())
    assert int(e2e["training_tokens"]) > 0 and float(e2e["train_wall_s"]) > 0 and e2e["batch_tokens"] == "384"
    assert "| tiny | 256 | lift_loop |" in (out / "README.md").read_text()
