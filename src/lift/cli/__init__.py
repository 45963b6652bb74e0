"""The `lift` command line: one module per group of commands, each a thin function over the library.

Start-up stays fast: no module here imports torch/transformers/peft at import time (tests/test_cli.py checks).
Commands import the heavy parts inside their bodies, after the checks a user can fail (mode, file, document
id), so `--help`, `list`, `show`, `rm`, `config` and argument errors answer at once.
"""

from __future__ import annotations

import typer

from lift.cli import ask, evaluate, library, serve, train

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="LIFT - Long Input Fine-Tuning: lift a long document into an adapter, then ask it questions.",
)
app.command()(train.train)
app.command()(train.pretrain)
app.command()(ask.ask)
app.command("list")(library.list_)
app.command()(library.show)
app.command()(library.rm)
app.command()(library.export)
app.command()(library.config)
app.command()(library.prompts)
app.command("eval")(evaluate.eval_)
app.command()(evaluate.report)
app.command()(evaluate.compare)
app.command()(serve.serve)
app.command()(ask.demo)


def main() -> None:
    app()
