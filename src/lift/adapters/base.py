"""The interface every adapter type offers to training, answering and the store."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from pathlib import Path

import torch
from torch import nn


class Adapter(ABC):
    """Trainable parameters attached to a base model. `model` is what to call and generate with; `unload()`
    gives back the base model exactly as it was."""

    kind: str
    model: nn.Module

    @abstractmethod
    def state_dict(self) -> dict[str, torch.Tensor]:
        """The trainable tensors (for checkpoints)."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None: ...

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write the adapter so that load_adapter(base, directory) reproduces it."""

    @abstractmethod
    def disabled(self) -> contextlib.AbstractContextManager:
        """Within the context the model computes exactly what the base model computes."""

    @abstractmethod
    def unload(self) -> nn.Module: ...

    def trainable(self) -> list[nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def parameter_counts(self) -> tuple[int, int]:
        """(trainable, all) parameters of the model with the adapter."""
        trainable = sum(p.numel() for p in self.trainable())
        return trainable, sum(p.numel() for p in self.model.parameters())
