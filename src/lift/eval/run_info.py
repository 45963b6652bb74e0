"""run.json: what made an eval folder's results (model, config, versions, every command that added rows).

Rows from different settings must not mix in one folder, except for the settings that only choose which
questions are asked (grid, counts, tasks): those may grow a folder's grid."""

from __future__ import annotations

import json
from pathlib import Path

from lift.errors import LiftError

RUN_INFO = "run.json"
SELECTION_KEYS = {
    ("eval", "niah_lengths"),
    ("eval", "niah_depths"),
    ("eval", "squad_questions"),
    ("eval", "longbench_tasks"),
    ("eval", "longbench_per_task"),
    ("eval", "bootstrap_samples"),
    ("eval", "data_dir"),
}


def config_conflicts(previous: dict, current: dict) -> list[str]:
    """Settings that differ between two config dicts; keys one of them lacks (a newer version) are ignored."""
    conflicts = []
    for section, values in previous.items():
        for key, value in (values or {}).items():
            if (section, key) in SELECTION_KEYS or key not in current.get(section, {}):
                continue
            if current[section][key] != value:
                conflicts.append(f"{section}.{key}: {value!r} -> {current[section][key]!r}")
    return conflicts


def record_run(out_dir: Path, info: dict) -> dict:
    """Write run.json for a new or resumed run; refuse a folder whose rows came from other settings."""
    path = out_dir / RUN_INFO
    commands = [info["command"]]
    if path.is_file():
        previous = json.loads(path.read_text(encoding="utf-8"))
        if previous.get("model") != info["model"]:
            raise LiftError(f"{out_dir} holds results of {previous.get('model')}; use another --out or delete it")
        conflicts = config_conflicts(previous.get("config", {}), info["config"])
        if conflicts:
            raise LiftError(
                f"{out_dir} holds results made with another config ({'; '.join(conflicts)}); "
                "use another --out or delete it"
            )
        info["started"] = previous.get("started", info["started"])
        commands = previous.get("commands", [previous.get("command")])
        if info["command"] not in commands:
            commands.append(info["command"])
    info["commands"] = commands
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2), encoding="utf-8")
    return info
