"""What every config field is built with: `_help` (a field with its help text and role) and ROLES."""

from __future__ import annotations

from dataclasses import field
from typing import Any

# A field's role, in its metadata (a section's own role is the default for its fields):
#   learns   decides what an adapter learns: part of a lift's run key and of the store's reuse check
#   speed    how fast or where the work runs, never what is learned (a rerun with another value resumes)
#   selects  which questions an eval asks: such a setting may grow an eval folder's grid
#   serves   answering, evaluation and serving settings, outside any adapter
ROLES = ("learns", "speed", "selects", "serves")


def _help(text: str, default: Any, role: str | None = None) -> Any:
    metadata = {"help": text} | ({"role": role} if role else {})
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)
