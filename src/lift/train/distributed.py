"""Several processes training one adapter (torchrun): data parallel over packed rows.

Every process holds the whole model and the same examples, packs them into the same rows, and takes its
share of each optimizer step's rows; after the backward passes only the adapter's gradients are summed
across processes (one all-reduce of one flat buffer per step), so every process takes the same optimizer
step and the adapters stay identical without a DistributedDataParallel wrapper. Process 0 writes checkpoints,
store entries and progress; the others wait for it where they need what it wrote.

Outside torchrun (no WORLD_SIZE in the environment, or 1) all of this is a no-op.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator

import torch
import torch.distributed as dist


def world() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) outside a process group."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main() -> bool:
    return world()[0] == 0


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_env(device: str) -> str:
    """Join the process group torchrun describes in the environment (nccl on CUDA, gloo on CPUs); returns the
    device to load the model on: 'cuda' (this process's GPU, LOCAL_RANK, made the current one) or 'cpu'."""
    cuda = device in ("auto", "cuda") and torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    device = "cuda" if cuda else "cpu"
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo", timeout=datetime.timedelta(minutes=60))
    return device


def barrier() -> None:
    if world()[1] > 1:
        dist.barrier()


@contextlib.contextmanager
def main_first() -> Iterator[None]:
    """Process 0 runs the block first (e.g. generation, which fills the cache); the others wait for it and then
    run the block themselves (reading what process 0 left behind)."""
    if not is_main():
        barrier()
    yield
    if is_main():
        barrier()


def sum_gradients(parameters: list[torch.nn.Parameter]) -> None:
    """Sum the parameters' gradients over all processes (missing ones count as zero), in one all-reduce."""
    if world()[1] == 1:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in parameters]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    offset = 0
    for parameter in parameters:
        count = parameter.numel()
        parameter.grad = flat[offset : offset + count].view_as(parameter).to(parameter.dtype)
        offset += count


def sum_over_processes(value: torch.Tensor) -> torch.Tensor:
    """The tensor summed over all processes (itself outside a process group)."""
    if world()[1] == 1:
        return value
    total = value.clone()
    dist.all_reduce(total)
    return total


class Processes:
    """This run's processes in one place: how many, whether this is process 0, and the two ways they wait for
    each other (all at a barrier; the others while process 0 does something first)."""

    def __init__(self) -> None:
        self.rank, self.count = world()

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        barrier()

    def main_first(self) -> contextlib.AbstractContextManager:
        return main_first()
