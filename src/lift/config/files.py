"""Config files: load_config (YAML or JSON, validated) and dump_config."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from lift.config.lift import LiftConfig
from lift.errors import LiftError


def load_config(path: str | Path | None) -> LiftConfig:
    """Load a YAML or JSON config file; None gives the defaults."""
    if path is None:
        return LiftConfig().validate()
    path = Path(path)
    if not path.is_file():
        raise LiftError(f"config file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as error:
        raise LiftError(f"config file {path} is not valid YAML/JSON: {error}".splitlines()[0]) from None
    return LiftConfig.from_dict(data or {})


def dump_config(config: LiftConfig, path: str | Path) -> None:
    path = Path(path)
    data = config.to_dict()
    text = json.dumps(data, indent=2) if path.suffix == ".json" else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
