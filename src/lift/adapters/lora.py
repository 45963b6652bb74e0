"""LoRA and PiSSA on all linear projections through peft, saved in standard PEFT format.

PiSSA (the LIFT 2024 paper's PEFT baseline) starts the adapter from each weight's r principal singular
vectors and leaves the residual in the base weight, so base + adapter equals the original weights at step 0.
Our base model is shared by every adapter, so PiSSA is saved converted to a plain LoRA of rank 2r on the
*original* weights (peft's path_initial_model_for_weight_conversion), and unload() puts the original weight
tensors back.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import peft
import torch
from torch import nn
from transformers import PreTrainedModel

from lift.adapters.base import Adapter
from lift.config import AdapterConfig, LoraConfig


class PeftAdapter(Adapter):
    def __init__(self, model: peft.PeftModel, kind: str, originals: dict[str, torch.Tensor] | None = None) -> None:
        self.model = model
        self.kind = kind
        self._originals = originals  # PiSSA: the base weight tensors before the residual replaced them
        self._initial_dir: Path | None = None
        if originals is not None:
            self._initial_dir = Path(tempfile.mkdtemp(prefix="lift-pissa-init-"))
            config = model.peft_config["default"]
            config.init_lora_weights = True  # the saved initial adapter loads as a plain LoRA
            with quiet_peft():
                model.save_pretrained(str(self._initial_dir))
            config.init_lora_weights = "pissa"

    def state_dict(self) -> dict[str, torch.Tensor]:
        return peft.get_peft_model_state_dict(self.model)

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        peft.set_peft_model_state_dict(self.model, state)

    def save(self, directory: Path) -> None:
        with quiet_peft():
            if self._initial_dir is None:
                self.model.save_pretrained(str(directory))
            else:
                self.model.save_pretrained(
                    str(directory), path_initial_model_for_weight_conversion=str(self._initial_dir)
                )

    def disabled(self) -> contextlib.AbstractContextManager:
        if self._originals is not None:
            raise RuntimeError("a PiSSA adapter in training has no base to fall back to; save and load it")
        return self.model.disable_adapter()

    def unload(self) -> nn.Module:
        base = self.model.unload()
        if self._originals is not None:
            for name, weight in self._originals.items():
                base.get_submodule(name).weight.data = weight
            self._originals = None
        if self._initial_dir is not None:
            shutil.rmtree(self._initial_dir, ignore_errors=True)
            self._initial_dir = None
        return base


def attach_lora(
    model: PreTrainedModel, config: LoraConfig, adapter: AdapterConfig | None = None, adapter_name: str = "default"
) -> PeftAdapter:
    """A trainable LoRA (or PiSSA when adapter.type == 'pissa') on `model`."""
    pissa = adapter is not None and adapter.type == "pissa"
    targets: str | list[str] = config.target_modules
    if targets != "all-linear":
        targets = [name.strip() for name in targets.split(",") if name.strip()]
    originals = None
    init: bool | str = True
    if pissa:
        # references to the current tensors: PiSSA assigns new ones (weight.data = residual), these stay intact
        originals = {name: m.weight.data for name, m in model.named_modules() if isinstance(m, nn.Linear)}
        init = f"pissa_niter_{adapter.pissa_niter}" if adapter.pissa_niter else "pissa"
    lora_config = peft.LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
        init_lora_weights=init,
    )
    with quiet_peft():
        wrapped = peft.get_peft_model(model, lora_config, adapter_name=adapter_name)
    return PeftAdapter(wrapped, "pissa" if pissa else "lora", originals)


def load_peft_adapter(model: PreTrainedModel, adapter_dir: str | Path) -> PeftAdapter:
    """A saved LoRA (PiSSA adapters are saved as LoRA) on a base model, for inference."""
    with quiet_peft():
        wrapped = peft.PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False)
    wrapped.eval()
    return PeftAdapter(wrapped, "lora")


@contextlib.contextmanager
def quiet_peft() -> Iterator[None]:
    """peft probes a transformers attribute that transformers 5 deprecates; nothing for users to act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        warnings.filterwarnings("ignore", message="PiSSA changes the base weights")  # we save it converted
        yield
