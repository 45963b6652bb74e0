"""The `lift` command line. Thin: parse arguments, call the library, print results.

Start-up stays fast: this module imports no torch/transformers/peft (tests/test_cli.py checks). Commands import
the heavy parts inside their bodies, after the checks a user can fail (mode, file, document id), so `--help`,
`list`, `show`, `rm`, `config` and argument errors answer at once.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lift.config import LiftConfig, describe_fields, load_config
from lift.errors import LiftError
from lift.infer.names import ADAPTER_MODES, MODES

if TYPE_CHECKING:
    from lift.store import Manifest

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="LIFT - Long Input Fine-Tuning: lift a long document into an adapter, then ask it questions.",
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="Base model: omit for the embedded SmolLM2-135M-Instruct; a HF id or a local dir."),
]
DeviceOption = Annotated[str | None, typer.Option("--device", help="auto, cpu or cuda.")]


def main() -> None:
    app()


def _user_errors(command: Callable) -> Callable:
    """A LiftError becomes one line on stderr and exit code 1; anything else is our bug and keeps its traceback."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except LiftError as error:
            err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return run


def _quiet_transformers() -> None:
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def _build_config(config_path: Path | None, overrides: dict, settings: list[str] | None) -> LiftConfig:
    config = load_config(config_path)
    for setting in settings or []:
        key, sep, value = setting.partition("=")
        if not sep:
            raise LiftError(f"--set expects key=value, got '{setting}'")
        overrides[key.strip()] = value.strip()
    return config.with_overrides(overrides)


def _load(model: str | None, device: str):
    from lift.models import load_model

    _quiet_transformers()
    with err.status(f"loading model {model or 'SmolLM2-135M-Instruct (embedded)'} ..."):
        return load_model(model, device)


@app.command()
@_user_errors
def train(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help="Document(s) to lift (UTF-8 text or markdown): files, directories (their .txt/.md/.rst files) "
            "or glob patterns. Several documents are lifted as a batch on Ray (--workers).",
        ),
    ],
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML/JSON config file.")] = None,
    generator: Annotated[str | None, typer.Option(help="QA generator: template, local or openai.")] = None,
    generator_url: Annotated[
        str | None, typer.Option(help="openai generator: API base URL, e.g. http://localhost:8000/v1.")
    ] = None,
    generator_model: Annotated[str | None, typer.Option(help="openai generator: model name.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="openai generator: requests in flight.")] = None,
    aux_tasks: Annotated[
        int | None, typer.Option(help="Auxiliary long-range QA windows (LIFT 2024 paper §3.2); 0: none.")
    ] = None,
    pipeline: Annotated[
        bool | None,
        typer.Option("--pipeline/--no-pipeline", help="Train while generating (default), or generate first."),
    ] = None,
    objective: Annotated[
        str | None, typer.Option(help="Training preset: qa, segments, contextualized, two_stage or mix.")
    ] = None,
    adapter: Annotated[str | None, typer.Option(help="Adapter type: lora, pissa or gated_memory.")] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            help="Training epochs (at least: a short document trains more, up to train.min_steps optimizer steps)."
        ),
    ] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default: by adapter type).")] = None,
    rank: Annotated[int | None, typer.Option(help="LoRA/PiSSA rank.")] = None,
    qa_per_sentence: Annotated[int | None, typer.Option(help="QA pairs per sentence (m).")] = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Any config field, e.g. --set train.batch_tokens=512.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing adapter for this document.")] = False,
    nproc: Annotated[
        int, typer.Option("--nproc", min=1, help="Train in N data-parallel processes (one per GPU) through torchrun.")
    ] = 1,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="The file changed since it was lifted: train on from the previous version's adapter, new QA for "
            "the changed sentences and a sample of the old QA (train.update_replay).",
        ),
    ] = False,
    previous: Annotated[
        str | None,
        typer.Option("--previous", help="--update: the previous version's id (default: the last lift of the file)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Batch of documents: documents lifted at once (Ray tasks).")
    ] = 1,
    address: Annotated[
        str | None, typer.Option("--address", help="Batch of documents: join this Ray cluster (default: local).")
    ] = None,
) -> None:
    """Lift a document: train an adapter on it (synthetic QA and/or its own segments, per --objective) and store
    it; prints the document id and adapter path. Several files, a directory or a glob: a batch, one Ray task per
    document; documents already lifted are skipped, so a rerun continues a killed batch."""
    from lift.text import read_document

    overrides = {
        "synth.generator": generator,
        "synth.generator_url": generator_url,
        "synth.generator_model": generator_model,
        "synth.concurrency": concurrency,
        "synth.aux_tasks": aux_tasks,
        "train.pipeline": pipeline,
        "train.objective": objective,
        "adapter.type": adapter,
        "train.epochs": epochs,
        "train.lr": lr,
        "lora.rank": rank,
        "synth.qa_per_sentence": qa_per_sentence,
        "model.name": model,
        "model.device": device,
    }
    cfg = _build_config(config, overrides, set_)
    from lift.corpus import expand_paths

    paths = expand_paths(files)
    if len(paths) != 1 or Path(files[0]).is_dir() or workers > 1 or address:
        if update or previous or nproc > 1:
            raise LiftError("--update, --previous and --nproc lift one document; give one file")
        _train_corpus(paths, cfg, force, workers, address)
        return
    document = read_document(paths[0])  # before the model loads: a bad file fails at once
    earlier = _previous_version(document, cfg, previous) if update or previous else None
    if nproc > 1 and int(os.environ.get("WORLD_SIZE", "1")) == 1:
        raise typer.Exit(_torchrun(nproc))
    from lift.progress import make_progress
    from lift.recipe import lift_document
    from lift.train.distributed import init_from_env, is_main, launched_by_torchrun

    device = init_from_env(cfg.model.device) if launched_by_torchrun() else cfg.model.device
    display = make_progress(err)
    loaded = _load(cfg.model.name, device)
    started = time.perf_counter()
    with display as progress:
        result = lift_document(document, loaded, cfg, force=force, progress=progress, previous=earlier)
    if not is_main():
        return
    _print_lift_summary(result.manifest, time.perf_counter() - started)
    out.print(f"document id: {result.entry.doc_id}")
    out.print(f"adapter:     {result.entry.adapter_dir}")


def _train_corpus(paths: list[Path], config: LiftConfig, force: bool, workers: int, address: str | None) -> None:
    from lift.corpus import lift_corpus
    from lift.home import lift_home
    from lift.progress import make_progress

    if not paths:
        raise LiftError("no documents found (directories contribute their .txt, .md, .markdown, .rst files)")
    with make_progress(err) as progress:
        batch = progress.task(f"lift {len(paths)} documents ({workers} at once)", total=len(paths), unit="documents")

        def report(item, done: int, total: int) -> None:
            what = {
                "lifted": f"lifted {item.doc_id} in {item.seconds:.0f}s",
                "skipped": f"already lifted ({item.doc_id})",
            }
            err.print(f"[{done}/{total}] {item.path}: {what.get(item.status, 'FAILED: ' + item.error)}",
                      highlight=False, markup=False)  # fmt: skip
            batch.advance(1)

        result = lift_corpus(
            paths, config, lift_home(), workers=workers, address=address, force=force, on_update=report
        )
        batch.done()
    table = Table(title=f"{len(paths)} documents in {result.seconds:.0f}s")
    for column in ("document", "status", "id", "seconds", "error"):
        table.add_column(column)
    for item in result.items:
        seconds = f"{item.seconds:.0f}" if item.status == "lifted" else ""
        table.add_row(str(item.path), item.status, item.doc_id, seconds, item.error)
    out.print(table)
    out.print(f"lifted {result.count('lifted')}, skipped {result.count('skipped')}, failed {result.count('failed')}")
    if result.count("failed"):
        raise typer.Exit(1)


def _previous_version(document, config: LiftConfig, previous: str | None):
    """The entry `lift train --update` trains on from: --previous, else the last lift of the same file on the
    same base model."""
    from lift.home import canonical_model_name, lift_home
    from lift.store import Store

    store = Store(lift_home())
    if previous is not None:
        return store.resolve(previous)
    base = canonical_model_name(config.model.name)
    earlier = [e for e in store.entries() if e.manifest.source == document.source and e.manifest.base_model == base]
    earlier = [e for e in earlier if e.doc_id != document.doc_id]
    if not earlier:
        raise LiftError(f"--update: {document.source} was never lifted on {base}; lift it without --update first")
    return max(earlier, key=lambda e: e.manifest.created)


def _torchrun(nproc: int) -> int:
    """Run this same `lift train` command in nproc processes under torchrun (single node); its exit code."""
    arguments, skip = [], False
    for argument in sys.argv[1:]:
        if skip:
            skip = False
        elif argument == "--nproc":
            skip = True
        elif not argument.startswith("--nproc="):
            arguments.append(argument)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}"]
    err.print(f"training in {nproc} processes: torchrun --standalone --nproc-per-node={nproc} -m lift.cli ...")
    return subprocess.call([*command, "-m", "lift.cli", *arguments])


def _print_lift_summary(manifest: Manifest, seconds: float) -> None:
    synth, training, adapter = manifest.synthesis, manifest.training, manifest.adapter
    rejected = ", ".join(f"{k} {v}" for k, v in synth.rejected.items()) or "none"
    failures = ", ".join(f"{k} {v}" for k, v in synth.request_failures.items())
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in manifest.timings_s.items())
    err.print(
        f"lifted '{manifest.title}' ({manifest.tokens} tokens, {manifest.sentences} sentences) in "
        f"{seconds:.0f}s ({'pipeline' if manifest.pipeline else 'sequential'}; {stages})\n"
        f"  generator {manifest.generator}: {synth.jobs} jobs, {synth.cache_hits} from cache, "
        f"{synth.requests} requests, {synth.retried} retried, {synth.failed} failed"
        f"{f' ({failures})' if failures else ''}; tokens in/out {synth.generator_tokens_in}/"
        f"{synth.generator_tokens_out}\n"
        f"  QA pairs: {synth.qa_pairs_kept}/{synth.qa_pairs_parsed} kept (aux {synth.aux_pairs_kept}), "
        f"rejected: {rejected}; grounding rate {synth.grounding_rate:.2f}\n"
        f"  training ({training.objective}, {adapter.type}, {adapter.trainable_parameters or 0:,} trainable "
        f"parameters): {training.examples} examples ({training.segments} segments), "
        f"{_count(len(training.loss_per_epoch), 'epoch')} / {_count(training.steps, 'step')}, loss "
        f"{_losses(training.loss_per_epoch)}, "
        f"{training.tokens_per_second:.0f} tok/s ({training.precision})\n"
        f"  question gate (auto mode): {_gate_summary(manifest)}"
        + (f"\n  {_lineage_summary(manifest)}" if manifest.lineage else ""),
        highlight=False,
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _losses(per_epoch: list[float]) -> str:
    """Each epoch's loss, or the first three and the last two of a long run (train.min_steps adds epochs)."""
    shown = [f"{x:.3f}" for x in per_epoch]
    if len(shown) > 6:
        shown = [*shown[:3], "...", *shown[-2:]]
    return " -> ".join(shown)


def _lineage_summary(manifest: Manifest) -> str:
    lineage = manifest.lineage
    return (
        f"update (version {lineage.version}) of {lineage.previous}: {len(lineage.changed_sentences)} changed "
        f"sentences got new QA, {lineage.replayed_sentences} unchanged ones replayed, "
        f"{lineage.removed_sentences} removed"
    )


def _gate_summary(manifest: Manifest) -> str:
    gate = manifest.gate
    if gate is None:
        on = manifest.lift_config().infer.gate
        return "none, no synthetic questions to choose its threshold on" if on else "off (infer.gate)"
    return (
        f"threshold {gate.threshold:.3f}, balanced accuracy {gate.balanced_accuracy:.2f} on {gate.positives} "
        f"synthetic questions vs {gate.negatives} general prompts; {gate.chunks} sentences compared"
    )


@app.command()
@_user_errors
def pretrain(
    out: Annotated[Path, typer.Option("--out", "-o", help="New model directory to write (use it with --model).")],
    articles: Annotated[int, typer.Option(help="Train-half SQuAD articles to use, in title order; 0: all 24.")] = 0,
    epochs: Annotated[int | None, typer.Option(help="Epochs over the corpus.")] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default 1e-3).")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML/JSON config file.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Benchmark data folder (default $LIFT_DATA or ../shared/data).")
    ] = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Any config field, e.g. --set train.qa_weight=0.5.")
    ] = None,
) -> None:
    """Pre-LIFT SFT (LIFT blog §3.3): fine-tune the base model on the train half of SQuAD's articles (their
    segments + their QA, gamma-weighted), merge the LoRA and save a model directory for --model. The held-out
    half is what `lift eval squad --model OUT` then draws from."""
    from lift.eval.data_dir import resolve_data_dir

    if articles < 0:
        raise LiftError("--articles must be >= 0")
    overrides = {"train.epochs": epochs, "train.lr": lr, "model.name": model, "model.device": device}
    cfg = _build_config(config, overrides, set_)
    root = resolve_data_dir(data_dir, cfg.eval.data_dir)
    from lift.pretrain import pretrain as run_pretrain
    from lift.progress import make_progress

    display = make_progress(err)
    loaded = _load(cfg.model.name, cfg.model.device)
    with display as progress:
        record = run_pretrain(loaded, cfg, root, out, articles=articles, progress=progress)
    err.print(
        f"pretrained on {len(record['train_articles'])} articles ({record['segments']} segments, "
        f"{record['qa_examples']} QA) in {record['train_seconds']:.0f}s; loss "
        f"{' -> '.join(f'{x:.3f}' for x in record['loss_per_epoch'])}",
        highlight=False,
    )
    out.print(f"model: {out.resolve()}")


@app.command()
@_user_errors
def ask(
    doc: Annotated[str, typer.Argument(help="Document: a file path or a document id (prefix) from `lift list`.")],
    question: Annotated[str, typer.Argument(help="The question.")],
    mode: Annotated[str, typer.Option(help=f"Answer mode: {', '.join(MODES)}.")] = "auto",
    max_new_tokens: Annotated[int | None, typer.Option(help="Max tokens in the answer.")] = None,
    model: ModelOption = None,
    device: DeviceOption = None,
) -> None:
    """Answer QUESTION about DOC. auto (the default): the question gate picks, lift_only for a question about
    the document, no_context for anything else; lift_only: adapter, no document in the prompt; lift_icl: adapter
    plus as much of the document as fits (head and tail); icl: base model with the document; no_context: base
    model alone; rag / rag_bm25: base model with the top chunks ranked by all-MiniLM-L6-v2 / BM25."""
    from lift.home import canonical_model_name, lift_home
    from lift.store import Store
    from lift.text import read_document

    if mode not in MODES:
        raise LiftError(f"unknown mode '{mode}' (choose from {', '.join(MODES)})")
    store = Store(lift_home())
    entry = None
    document_text = None
    if mode in ADAPTER_MODES or not Path(doc).exists():
        entry = store.resolve(doc)
        document_text = entry.document_text
    else:
        document_text = read_document(doc).text
    manifest = entry.manifest if entry else None
    base = manifest.base_model if manifest and model is None else canonical_model_name(model)
    if manifest and mode in ADAPTER_MODES and base != manifest.base_model:
        raise LiftError(f"document {manifest.doc_id} was lifted on {manifest.base_model}, not {base}")
    defaults = manifest.lift_config() if manifest else LiftConfig()
    from lift.adapters import load_adapter
    from lift.infer import answer_question
    from lift.infer.gate import load_gate

    loaded = _load(None if base == "SmolLM2-135M-Instruct" else base, device or defaults.model.device)
    net = load_adapter(loaded.model, entry.adapter_dir) if mode in ADAPTER_MODES else loaded.model
    answer = answer_question(
        net,
        loaded.tokenizer,
        question,
        mode,
        document=document_text,
        window=loaded.window,
        max_new_tokens=max_new_tokens or defaults.infer.max_new_tokens,
        system=defaults.infer.system_prompt,
        rag=defaults.rag,
        gate=load_gate(entry.path, manifest.gate) if mode == "auto" and entry and manifest else None,
    )
    err.print(f"[dim]{_mode_line(answer)}: {answer.prompt_tokens} prompt tokens, {answer.seconds:.1f}s[/dim]")
    out.print(answer.text, highlight=False, markup=False)


def _mode_line(answer) -> str:
    """The mode, and for auto where the gate sent the question."""
    if answer.route is None:
        return answer.mode
    if answer.gate_score is None:
        return f"{answer.mode} -> {answer.route} (no question gate stored)"
    sign = ">=" if answer.route == "adapter" else "<"
    return f"{answer.mode} -> {answer.route} (gate score {answer.gate_score:.3f} {sign} {answer.threshold:.3f})"


@app.command("list")
@_user_errors
def list_() -> None:
    """List lifted documents."""
    from lift.home import lift_home
    from lift.store import Store

    entries = Store(lift_home()).entries()
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


@app.command()
@_user_errors
def show(doc: Annotated[str, typer.Argument(help="Document id (prefix) or file path.")]) -> None:
    """Print a lifted document's manifest."""
    from lift.home import lift_home
    from lift.store import Store

    entry = Store(lift_home()).resolve(doc)
    out.print_json(json.dumps({"path": str(entry.path), **entry.manifest.to_dict()}))


@app.command()
@_user_errors
def rm(doc: Annotated[str, typer.Argument(help="Document id (prefix) or file path.")]) -> None:
    """Delete a lifted document's adapter and manifest."""
    from lift.home import lift_home
    from lift.store import Store

    store = Store(lift_home())
    entry = store.resolve(doc)
    store.remove(entry.doc_id)
    out.print(f"removed {entry.doc_id}")


EXPORT_FORMATS = ("peft", "merged")


@app.command()
@_user_errors
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
    import shlex

    from lift.home import EMBEDDED_MODEL, lift_home
    from lift.store import Store

    if format_ not in EXPORT_FORMATS:
        raise LiftError(f"unknown format '{format_}' (choose from {', '.join(EXPORT_FORMATS)})")
    if all_:
        if doc is None or out_dir is not None:
            raise LiftError("--all takes one argument, OUT: lift export --all OUT")
        if format_ != "peft":
            raise LiftError("--all exports PEFT adapters (--format peft)")
        from lift.store.export import export_all

        done = export_all(Store(lift_home()).entries(), Path(doc), force=force)
        for doc_id, why in done.skipped.items():
            err.print(f"skipped {doc_id}: {why}", highlight=False, markup=False)
        for group in done.served:
            out.print(
                f"# {group.base}: {len(group.adapters)} adapters under {done.path}", highlight=False, markup=False
            )
            out.print(group.vllm(), highlight=False, markup=False)
            out.print(group.sglang(), highlight=False, markup=False)
        return
    if doc is None or out_dir is None:
        raise LiftError("lift export DOC OUT (or lift export --all OUT)")
    entry = Store(lift_home()).resolve(doc)
    from lift.store.export import check_merged_export, export_merged, export_name, export_peft, vllm_serve_command

    if format_ == "peft":
        path = export_peft(entry, out_dir, force=force)
        out.print(f"PEFT adapter: {path}", highlight=False, markup=False)
        out.print(vllm_serve_command(path, export_name(entry)), highlight=False, markup=False)
        return
    check_merged_export(entry, out_dir, force)  # before the model loads
    manifest = entry.manifest
    base, defaults = manifest.base_model, manifest.lift_config()
    loaded = _load(None if base == EMBEDDED_MODEL else base, device or defaults.model.device)
    with err.status(f"merging the adapter into {base} ..."):
        path = export_merged(entry, loaded, out_dir, force=force)
    out.print(f"merged model: {path}", highlight=False, markup=False)
    out.print(shlex.join(["vllm", "serve", str(path)]), highlight=False, markup=False)


@app.command()
@_user_errors
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


@app.command()
@_user_errors
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


@app.command("eval")
@_user_errors
def eval_(
    suite: Annotated[str, typer.Argument(help="niah, paraphrase, squad, loogle, longbench, custom or general.")],
    modes: Annotated[
        str | None,
        typer.Option(help=f"Comma list of modes ({', '.join(MODES)}); default: the suite's own list."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N questions of the suite.")] = None,
    max_documents: Annotated[
        int | None, typer.Option(help="Evaluate only the questions about the suite's first N documents.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default eval-results/SUITE).")
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML/JSON config file.")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Benchmark data folder (default $LIFT_DATA or ../shared/data).")
    ] = None,
    file: Annotated[Path | None, typer.Option("--file", help="custom suite: the questions JSONL file.")] = None,
    document: Annotated[
        list[Path] | None,
        typer.Option("--document", help="general suite: document(s) to lift (default: the demo essay)."),
    ] = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Any config field, e.g. --set eval.niah_lengths=1000,2000.")
    ] = None,
) -> None:
    """Evaluate SUITE in every mode on the same base model: writes results.jsonl (one row per question x mode),
    report.md (tables with 95% bootstrap intervals) and plots. Rerunning the same command resumes."""
    import shlex
    from datetime import datetime, timezone

    from lift.eval.suites import DEFAULT_MODES, SUITES, load_suite
    from lift.text import read_document

    if suite not in SUITES:
        raise LiftError(f"unknown suite '{suite}' (choose from {', '.join(SUITES)})")
    cfg = _build_config(config, {"model.name": model, "model.device": device}, set_)
    chosen = [m.strip() for m in modes.split(",") if m.strip()] if modes else None
    for mode in chosen or []:
        if mode not in MODES:
            raise LiftError(f"unknown mode '{mode}' (choose from {', '.join(MODES)})")
    if (limit is not None and limit < 1) or (max_documents is not None and max_documents < 1):
        raise LiftError("--limit and --max-documents must be >= 1")
    out_dir = out_dir or Path("eval-results") / suite
    documents = [read_document(p) for p in document] if document else None
    from lift.eval.report import summary, write_report
    from lift.eval.run_info import record_run
    from lift.eval.runner import run_eval
    from lift.progress import make_progress
    from lift.versions import package_versions

    display = make_progress(err)
    loaded = _load(cfg.model.name, cfg.model.device)
    items = load_suite(suite, cfg, loaded.tokenizer, data_dir=data_dir, file=file, documents=documents)
    if max_documents:
        first = list(dict.fromkeys(i.document.doc_id for i in items))[:max_documents]
        items = [i for i in items if i.document.doc_id in first]
    items = items[:limit] if limit else items
    if not items:
        raise LiftError(f"the {suite} suite has no questions to evaluate")
    chosen = chosen or list(DEFAULT_MODES[suite])

    command = ["lift", "eval", suite, "--modes", ",".join(chosen), "-o", str(out_dir)]
    for flag, value in (("--limit", limit), ("--max-documents", max_documents), ("-c", config), ("--file", file),
                        ("--data-dir", data_dir), ("--model", model), ("--device", device)):  # fmt: skip
        if value is not None:
            command += [flag, str(value)]
    for path in document or []:
        command += ["--document", str(path)]
    for setting in set_ or []:
        command += ["--set", setting]
    info = {
        "command": shlex.join(command),
        "suite": suite,
        "modes": chosen,
        "limit": limit,
        "model": loaded.name,
        "device": str(loaded.device),
        "seed": cfg.eval.seed,
        "versions": package_versions(),
        "git_commit": _git_commit(),
        "config": cfg.to_dict(),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    record_run(out_dir, info)

    judge = None
    if cfg.eval.judge_url and suite in ("loogle", "custom"):
        from lift.eval.judge import Judge

        judge = Judge(cfg.eval.judge_url, cfg.eval.judge_model, cfg.eval.judge_api_key_env)
    err.print(f"{suite}: {len(items)} questions x {len(chosen)} modes -> {out_dir}", highlight=False)
    with display as progress:
        run = run_eval(items, chosen, loaded, cfg, out_dir, progress=progress, judge=judge)
    report = write_report(out_dir, cfg.eval.bootstrap_samples, cfg.eval.seed)
    err.print(
        f"{run.new_rows} new answers ({len(run.rows)} in all); documents lifted {run.lifted}, "
        f"reused from the store {run.reused}",
        highlight=False,
    )
    suite_rows = [r for r in run.rows if r["suite"] == suite]
    for mode, scores in summary(suite_rows).items():
        out.print(f"{mode:>10}: " + ", ".join(f"{k} {100 * v:.1f}" for k, v in scores.items()), highlight=False)
    out.print(f"report: {report}")


def _git_commit() -> str | None:
    """The checkout's commit (with '+dirty' for local changes), when run from a git work tree."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


@app.command()
@_user_errors
def report(
    out_dir: Annotated[Path, typer.Argument(help="An eval output folder (holding results.jsonl).")],
) -> None:
    """Rebuild report.md and the plots of an eval output folder from its results.jsonl."""
    from lift.eval.results import RESULTS

    if not (out_dir / RESULTS).is_file():
        raise LiftError(f"no {RESULTS} in {out_dir}")
    from lift.eval.report import write_report

    out.print(f"report: {write_report(out_dir)}")


@app.command()
@_user_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default serve.host: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default serve.port: 8000).")] = None,
    api_key: Annotated[
        str | None,
        typer.Option(help="API key clients must send as 'Authorization: Bearer KEY' (default: $LIFT_API_KEY)."),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow a non-loopback address without an API key.")
    ] = False,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML/JSON config (lifting settings for uploads).")
    ] = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Any config field, e.g. --set serve.queue_size=128.")
    ] = None,
) -> None:
    """Serve lifted documents: an OpenAI-compatible API (/v1/chat/completions with model 'lift:<doc-id>',
    /v1/models, /v1/documents to upload and lift) and a web page at /."""
    import os

    from lift.home import lift_home
    from lift.serve import build_server, check_bind, stop_server

    cfg = _build_config(
        config, {"serve.host": host, "serve.port": port, "model.name": model, "model.device": device}, set_
    )
    key = api_key or os.environ.get(cfg.serve.api_key_env) or None
    check_bind(cfg.serve.host, key, insecure)
    import uvicorn

    loaded = _load(cfg.model.name, cfg.model.device)
    app_ = build_server(loaded, cfg, lift_home(), api_key=key)
    err.print(
        f"serving {loaded.name} and its lifted documents on http://{cfg.serve.host}:{cfg.serve.port} "
        f"({'API key required' if key else 'no API key'}); web page at /, API under /v1"
    )
    try:
        uvicorn.run(app_, host=cfg.serve.host, port=cfg.serve.port, log_level="warning")
    finally:
        stop_server(app_)


@app.command()
@_user_errors
def demo(
    generator: Annotated[str | None, typer.Option(help="QA generator: template or local.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Training epochs.")] = None,
    device: DeviceOption = None,
) -> None:
    """Lift the bundled Paul Graham essay with the San Francisco needle and ask about it, without the adapter
    and with it (no document in the prompt either time)."""
    from lift.demo import run_demo
    from lift.progress import make_progress

    cfg = LiftConfig().with_overrides({"synth.generator": generator, "train.epochs": epochs, "model.device": device})
    display = make_progress(err)
    loaded = _load(cfg.model.name, cfg.model.device)
    with display as progress:
        result = run_demo(loaded, cfg, progress)
    _print_lift_summary(result.manifest, result.lift_seconds)
    out.print(f"\n[bold]Q:[/bold] {result.question}  (no document in the prompt)")
    for label, text in (("without the adapter:", result.before), ("with the adapter:   ", result.after)):
        out.print(f"[bold]{label}[/bold] ", end="")
        out.print(text, markup=False, highlight=False)
    out.print(f"needle keywords in the lifted answer: {len(result.keywords_found)}/3 {result.keywords_found}")
    for question, text in result.general:
        out.print(f"[bold]general check with the adapter[/bold] ({question}): ", end="")
        out.print(text, markup=False, highlight=False)
    out.print(f"document id {result.doc_id}; demo took {result.total_seconds:.0f}s")


if __name__ == "__main__":
    main()
