"""The adapter library: `lift list`, `show`, `rm`, `export`; and the reference commands `config`, `prompts`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lift.cli.common import err, load, out, user_errors
from lift.config import describe_fields
from lift.errors import LiftError

DocArgument = Annotated[str, typer.Argument(help="Document id (prefix) or file path.")]
EXPORT_FORMATS = ("peft", "merged")


def _store():
    from lift.home import lift_home
    from lift.store import Store

    return Store(lift_home())


@user_errors
def list_() -> None:
    """List lifted documents."""
    entries = _store().entries()
    if not entries:
        err.print("no lifted documents yet; run `lift train FILE`")
        return
    table = Table()
    table.add_column("document id", no_wrap=True, min_width=16)
    for column in ("title", "tokens", "QA kept", "base model", "created"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        m = entry.manifest
        table.add_row(entry.doc_id, m.title, str(m.tokens), str(m.synthesis.qa_pairs_kept), m.base_model, m.created)
    out.print(table)


@user_errors
def show(doc: DocArgument) -> None:
    """Print a lifted document's manifest."""
    entry = _store().resolve(doc)
    out.print_json(json.dumps({"path": str(entry.path), **entry.manifest.to_dict()}))


@user_errors
def rm(doc: DocArgument) -> None:
    """Delete a lifted document's adapter and manifest."""
    store = _store()
    entry = store.resolve(doc)
    store.remove(entry.doc_id)
    out.print(f"removed {entry.doc_id}")


@user_errors
def export(
    doc: Annotated[str | None, typer.Argument(help="Document id (prefix) or file path (none with --all).")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Argument(metavar="OUT", help="Directory to write; must not exist or be empty (see --force)."),
    ] = None,
    all_: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every LoRA/PiSSA adapter in the store, under OUT, with the one vllm serve and SGLang line "
            "(per base model) that serves them all (`lift export --all OUT`).",
        ),
    ] = False,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            help="peft: the adapter as a PEFT directory (PeftModel.from_pretrained, vLLM --lora-modules); "
            "merged: the base model with the adapter merged into its weights, plus the tokenizer.",
        ),
    ] = "peft",
    force: Annotated[bool, typer.Option("--force", help="Replace an earlier export in OUT.")] = False,
    device: Annotated[
        str | None, typer.Option("--device", help="merged: auto, cpu or cuda (on cuda the weights are bf16).")
    ] = None,
) -> None:
    """Export DOC's adapter to OUT for other tools. peft prints the `vllm serve` line that serves it; merged
    loads with plain AutoModelForCausalLM.from_pretrained(OUT). --all exports every adapter at once."""
    if format_ not in EXPORT_FORMATS:
        raise LiftError(f"unknown format '{format_}' (choose from {', '.join(EXPORT_FORMATS)})")
    if all_:
        if doc is None or out_dir is not None:
            raise LiftError("--all takes one argument, OUT: lift export --all OUT")
        if format_ != "peft":
            raise LiftError("--all exports PEFT adapters (--format peft)")
        _export_all(Path(doc), force)
        return
    if doc is None or out_dir is None:
        raise LiftError("lift export DOC OUT (or lift export --all OUT)")
    entry = _store().resolve(doc)
    from lift.store.export import (
        check_merged_export,
        export_merged,
        export_name,
        export_peft,
        serving_note,
        vllm_serve_command,
    )

    note = serving_note(entry)
    if format_ == "peft":
        path = export_peft(entry, out_dir, force=force)
        out.print(f"PEFT adapter: {path}", highlight=False, markup=False)
        out.print(vllm_serve_command(path, export_name(entry)), highlight=False, markup=False)
        if note:
            err.print(note, highlight=False, markup=False)
        return
    import shlex

    from lift.home import EMBEDDED_MODEL

    check_merged_export(entry, out_dir, force)  # before the model loads
    base, defaults = entry.manifest.base_model, entry.manifest.lift_config()
    loaded = load(None if base == EMBEDDED_MODEL else base, device or defaults.model.device)
    with err.status(f"merging the adapter into {base} ..."):
        path = export_merged(entry, loaded, out_dir, force=force)
    out.print(f"merged model: {path}", highlight=False, markup=False)
    out.print(shlex.join(["vllm", "serve", str(path)]), highlight=False, markup=False)
    if note:  # merged weights apply the adapter to every token, the document's too
        err.print(note, highlight=False, markup=False)


def _export_all(out_dir: Path, force: bool) -> None:
    from lift.store.export import export_all, serving_note

    entries = _store().entries()
    done = export_all(entries, out_dir, force=force)
    for doc_id, why in done.skipped.items():
        err.print(f"skipped {doc_id}: {why}", highlight=False, markup=False)
    for entry in entries:
        if entry.doc_id not in done.skipped and (note := serving_note(entry)):
            err.print(note, highlight=False, markup=False)
    for group in done.served:
        out.print(f"# {group.base}: {len(group.adapters)} adapters under {done.path}", highlight=False, markup=False)
        out.print(group.vllm(), highlight=False, markup=False)
        out.print(group.sglang(), highlight=False, markup=False)


@user_errors
def config() -> None:
    """Print every config field with its default and help (a starting point for --config files)."""
    section = None
    for name, default, help_text in describe_fields():
        head = name.split(".")[0]
        if head != section:
            out.print(f"{head}:", highlight=False)
            section = head
        out.print(f"  # {help_text}", style="dim", highlight=False)
        out.print(f"  {name.split('.', 1)[1]}: {json.dumps(default)}", highlight=False)


@user_errors
def prompts(
    name: Annotated[str | None, typer.Argument(help="Print this template's text (a name or a .yaml path).")] = None,
) -> None:
    """List the built-in generator prompt templates (synth.prompt, synth.aux_prompt), or print one."""
    from lift.synth.prompts import builtin_prompt_names, load_prompt

    if name is not None:
        template = load_prompt(name, None)
        out.print(f"# {template.version} ({template.kind}; {template.source})", highlight=False)
        if template.system:
            out.print(f"--- system\n{template.system}", highlight=False, markup=False)
        out.print(f"--- user\n{template.user}", highlight=False, markup=False)
        return
    for builtin in builtin_prompt_names():
        template = load_prompt(builtin, None)
        out.print(f"{template.version:<32} {template.kind:<9} {template.source}", highlight=False)
