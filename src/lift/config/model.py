"""The base model section (ModelConfig) and the devices it may run on."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config.fields import _help

DEVICES = ("auto", "cpu", "cuda")


@dataclass
class ModelConfig:
    name: str | None = _help(
        "Base model: None for the embedded SmolLM2-135M-Instruct, a Hugging Face model id, or a local model directory.",
        None,
    )
    device: str = _help("Where to run: auto (cuda if available), cpu or cuda.", "auto")
