"""What every command shares: the consoles, the one-line error for a user's mistake, config building from
flags, model loading, and the options several commands take."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lift.config import LiftConfig, field_help, load_config
from lift.errors import LiftError

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ModelOption = Annotated[str | None, typer.Option("--model", help=field_help("model.name"))]
DeviceOption = Annotated[str | None, typer.Option("--device", help=field_help("model.device"))]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML/JSON config file (see `lift config`).")]
SetOption = Annotated[
    list[str] | None, typer.Option("--set", help="Any config field as key=value, e.g. --set train.batch_tokens=512.")
]
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help=field_help("eval.data_dir"))]


def user_errors(command: Callable) -> Callable:
    """A LiftError becomes one line on stderr and exit code 1; anything else is our bug and keeps its traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except LiftError as error:
            err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return run


def build_config(config_path: Path | None, overrides: dict, settings: list[str] | None) -> LiftConfig:
    """The config file (or the defaults), then the flags' values (None: not given), then --set key=value."""
    config = load_config(config_path)
    for setting in settings or []:
        key, sep, value = setting.partition("=")
        if not sep:
            raise LiftError(f"--set expects key=value, got '{setting}'")
        overrides[key.strip()] = value.strip()
    return config.with_overrides(overrides)


def load(model: str | None, device: str):
    """The base model and tokenizer, with a spinner on stderr."""
    import transformers

    from lift.models import load_model

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    with err.status(f"loading model {model or 'SmolLM2-135M-Instruct (embedded)'} ..."):
        return load_model(model, device)
