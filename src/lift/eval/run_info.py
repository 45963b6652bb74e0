"""run.json: what made an eval folder's results (model, config, versions, every command that added rows).

Rows from different settings must not mix in one folder, except for the settings that only choose which
questions are asked (config fields with the role 'selects': grid, counts, tasks): those may grow a folder's
grid."""

from __future__ import annotations

import dataclasses
import json
import shlex
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lift.config import LiftConfig, field_roles
from lift.errors import LiftError
from lift.versions import package_versions

RUN_INFO = "run.json"


@dataclass
class RunInfo:
    """The provenance of an eval folder; `commands` lists every command that added rows to it."""

    command: str
    suite: str
    modes: list[str]
    model: str
    device: str
    config: dict[str, Any]
    limit: int | None = None
    seed: int = 0
    versions: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    started: str = ""
    commands: list[str] = field(default_factory=list)
    note: str | None = None  # added by hand, e.g. where a folder's runs were made

    @classmethod
    def new(
        cls, suite: str, modes: list[str], config: LiftConfig, model: str, device: str, arguments: dict[str, Any]
    ) -> RunInfo:
        """The record of a run starting now; `arguments`: the command's flags and values, as given."""
        return cls(
            command=eval_command(suite, modes, arguments),
            suite=suite,
            modes=list(modes),
            model=model,
            device=device,
            config=config.to_dict(),
            limit=arguments.get("--limit"),
            seed=config.eval.seed,
            versions=package_versions(),
            git_commit=git_commit(),
            started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunInfo:
        """A run.json as written by any version (older ones lack some fields; unknown ones are dropped)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values.setdefault("command", "?")
        values.setdefault("commands", [values["command"]])
        for name in ("suite", "model", "device"):
            values.setdefault(name, "?")
        values.setdefault("modes", [])
        values.setdefault("config", {})
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None or k != "note"}


def read_run_info(out_dir: Path) -> RunInfo | None:
    path = out_dir / RUN_INFO
    return RunInfo.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def eval_command(suite: str, modes: list[str], arguments: dict[str, Any]) -> str:
    """The `lift eval` line that reproduces a run: flags with a value (repeatable ones as lists), in order."""
    command = ["lift", "eval", suite, "--modes", ",".join(modes)]
    for flag, value in arguments.items():
        for one in value if isinstance(value, list) else [value]:
            if one is not None:
                command += [flag, str(one)]
    return shlex.join(command)


def git_commit() -> str | None:
    """The checkout's commit (with '+dirty' for local changes), when run from a git work tree."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def config_conflicts(previous: dict, current: dict) -> list[str]:
    """Settings that differ between two config dicts; keys one of them lacks (a newer version) are ignored."""
    conflicts = []
    roles = field_roles()
    for section, values in previous.items():
        for key, value in (values or {}).items():
            if roles.get(section, {}).get(key) == "selects" or key not in current.get(section, {}):
                continue
            if current[section][key] != value:
                conflicts.append(f"{section}.{key}: {value!r} -> {current[section][key]!r}")
    return conflicts


def record_run(out_dir: Path, info: RunInfo) -> RunInfo:
    """Write run.json for a new or resumed run; refuse a folder whose rows came from other settings."""
    previous = read_run_info(out_dir)
    commands = [info.command]
    if previous is not None:
        if previous.model != info.model:
            raise LiftError(f"{out_dir} holds results of {previous.model}; use another --out or delete it")
        conflicts = config_conflicts(previous.config, info.config)
        if conflicts:
            raise LiftError(
                f"{out_dir} holds results made with another config ({'; '.join(conflicts)}); "
                "use another --out or delete it"
            )
        info.started = previous.started or info.started
        info.note = previous.note
        commands = previous.commands or [previous.command]
        if info.command not in commands:
            commands.append(info.command)
    info.commands = commands
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / RUN_INFO).write_text(json.dumps(info.to_dict(), indent=2), encoding="utf-8")
    return info
