"""Building a section from loaded values: unknown settings refused, YAML and command-line values coerced to
the default's type."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from lift.errors import LiftError


def _build_section(factory: Any, section: str, values: dict[str, Any]) -> Any:
    if not isinstance(values, dict):
        raise LiftError(f"invalid config: section '{section}' must be a mapping")
    default = factory()
    known = {f.name: f for f in fields(default)}
    kwargs = {}
    for name, value in values.items():
        if name not in known:
            raise LiftError(f"invalid config: unknown setting '{section}.{name}' (known: {', '.join(known)})")
        kwargs[name] = _coerce(f"{section}.{name}", getattr(default, name), value)
    return factory(**kwargs)


_OPTIONAL_FLOATS = {"train.lr"}


def _coerce(key: str, default: Any, value: Any) -> Any:
    """Check a value against the default's type; numbers from YAML or the command line are converted."""
    if key in _OPTIONAL_FLOATS and value is not None and not (isinstance(value, str) and value.lower() == "none"):
        default = 0.0
    if isinstance(value, str) and value.lower() in ("none", "null") and default is None:
        return None
    if value is None or default is None:
        return value
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise ValueError(value)
            return value
        if isinstance(default, list):
            if isinstance(value, str):  # "1000,2000" from --set
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list):
                raise ValueError(value)
            kind = type(default[0]) if default else str
            return [_coerce(key, kind(), v) for v in value]
    except (TypeError, ValueError):
        raise LiftError(f"invalid config: {key} must be a {type(default).__name__}, got {value!r}") from None
    return value
