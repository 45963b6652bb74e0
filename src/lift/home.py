"""Where LIFT writes, and the name a manifest records for a base model. Torch-free, so the quick commands
(`lift list`, `show`, `rm`, argument checks) start without loading torch; lift.models re-exports these."""

from __future__ import annotations

import os
from pathlib import Path

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
EMBEDDED_ALIASES = (None, "", "embedded", EMBEDDED_MODEL, EMBEDDED_MODEL.lower())


def lift_home() -> Path:
    """Root of everything LIFT writes: env LIFT_HOME, default ~/.lift."""
    return Path(os.environ.get("LIFT_HOME") or Path.home() / ".lift").expanduser()


def canonical_model_name(name: str | None) -> str:
    """The name a manifest records for a model argument (local directories become absolute paths)."""
    if name in EMBEDDED_ALIASES:
        return EMBEDDED_MODEL
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    return name
