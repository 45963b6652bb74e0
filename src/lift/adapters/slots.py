"""LoRA adapters of several documents kept loaded side by side over one base model, as vLLM's LoRA manager
does: switching document is peft's set_adapter, never a reload of the base weights. At most `capacity` stay
loaded; the least recently used one is unloaded first."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from pathlib import Path

import peft
from transformers import PreTrainedModel

from lift.adapters.lora import quiet_peft


class AdapterSlots:
    def __init__(self, base: PreTrainedModel, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self._base = base
        self.capacity = capacity
        self._peft: peft.PeftModel | None = None  # created with the first adapter
        self._names: collections.OrderedDict[str, str] = collections.OrderedDict()  # key -> adapter name

    @property
    def base_model(self) -> PreTrainedModel:
        """The base model itself (inside the PeftModel its Linear layers carry the LoRA modules)."""
        return self._peft.get_base_model() if self._peft is not None else self._base

    def loaded(self) -> list[str]:
        """Keys of the loaded adapters, least recently used first."""
        return list(self._names)

    def activate(self, key: str, adapter_dir: Path) -> peft.PeftModel:
        """The network with `key`'s adapter active, loaded from adapter_dir unless it is already loaded."""
        name = self._names.get(key)
        if name is not None:
            self._names.move_to_end(key)
        else:
            name = f"doc_{key}"
            with quiet_peft():
                if self._peft is None:
                    self._peft = peft.PeftModel.from_pretrained(
                        self._base, str(adapter_dir), adapter_name=name, is_trainable=False
                    )
                else:
                    self._peft.load_adapter(str(adapter_dir), adapter_name=name, is_trainable=False)
            self._peft.eval()
            self._names[key] = name
        assert self._peft is not None
        self._peft.set_adapter(name)
        while len(self._names) > self.capacity:
            _, oldest = self._names.popitem(last=False)
            self._peft.delete_adapter(oldest)
        return self._peft

    def forget(self, key: str) -> None:
        """Unload key's adapter, if it is loaded."""
        name = self._names.pop(key, None)
        if name is not None and self._peft is not None:
            self._peft.delete_adapter(name)

    @contextlib.contextmanager
    def adapters_off(self) -> Iterator[PreTrainedModel | peft.PeftModel]:
        """The network with every loaded adapter switched off: it computes what the base model computes."""
        if self._peft is None:
            yield self._base
            return
        with self._peft.disable_adapter():
            yield self._peft
