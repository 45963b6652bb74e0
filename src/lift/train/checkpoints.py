"""Per-epoch checkpoints (adapter weights + optimizer state), written atomically, for resuming a run."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from lift.adapters.base import Adapter

_EPOCH_DIR = re.compile(r"^epoch-(\d+)$")


def save_checkpoint(directory: Path, epoch: int, adapter: Adapter, state: dict) -> Path:
    """Write directory/epoch-N; an interrupted write leaves only a hidden temp dir, never a partial epoch."""
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".epoch-", dir=directory))
    save_file({k: v.contiguous() for k, v in adapter.state_dict().items()}, str(staging / "adapter.safetensors"))
    torch.save(state, staging / "trainer_state.pt")
    target = directory / f"epoch-{epoch}"
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    for older in directory.iterdir():  # keep only the newest epoch
        match = _EPOCH_DIR.match(older.name)
        if match and int(match.group(1)) < epoch:
            shutil.rmtree(older, ignore_errors=True)
    return target


def latest_checkpoint(directory: Path) -> tuple[int, Path] | None:
    if not directory.is_dir():
        return None
    epochs = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _EPOCH_DIR.match(p.name))]
    return max(epochs) if epochs else None


def load_checkpoint(path: Path, adapter: Adapter) -> dict:
    adapter.load_state_dict(load_file(str(path / "adapter.safetensors")))
    return torch.load(path / "trainer_state.pt", weights_only=False)
