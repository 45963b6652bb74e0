"""`lift train` (one document, or a batch on Ray) and `lift pretrain`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from lift.cli.common import (
    ConfigOption,
    DataDirOption,
    DeviceOption,
    ModelOption,
    SetOption,
    build_config,
    err,
    load,
    out,
    user_errors,
)  # fmt: skip
from lift.cli.summary import print_corpus_table, print_lift_summary
from lift.config import field_help
from lift.errors import LiftError

# flag -> the config field it sets (its help is the field's)
TRAIN_FLAGS = {
    "generator": "synth.generator",
    "generator_url": "synth.generator_url",
    "generator_model": "synth.generator_model",
    "concurrency": "synth.concurrency",
    "aux_tasks": "synth.aux_tasks",
    "pipeline": "train.pipeline",
    "objective": "train.objective",
    "adapter": "adapter.type",
    "epochs": "train.epochs",
    "lr": "train.lr",
    "rank": "lora.rank",
    "qa_per_sentence": "synth.qa_per_sentence",
}


def _flag(name: str, kind: type = str):
    return Annotated[kind | None, typer.Option(help=field_help(TRAIN_FLAGS[name]))]


@user_errors
def train(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help="Document(s) to lift (UTF-8 text or markdown): files, directories (their .txt/.md/.rst files) "
            "or glob patterns. Several documents are lifted as a batch on Ray (--workers).",
        ),
    ],
    config: ConfigOption = None,
    generator: _flag("generator") = None,
    generator_url: _flag("generator_url") = None,
    generator_model: _flag("generator_model") = None,
    concurrency: _flag("concurrency", int) = None,
    aux_tasks: _flag("aux_tasks", int) = None,
    pipeline: Annotated[
        bool | None, typer.Option("--pipeline/--no-pipeline", help=field_help("train.pipeline"))
    ] = None,
    objective: _flag("objective") = None,
    adapter: _flag("adapter") = None,
    epochs: _flag("epochs", int) = None,
    lr: _flag("lr", float) = None,
    rank: _flag("rank", int) = None,
    qa_per_sentence: _flag("qa_per_sentence", int) = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    set_: SetOption = None,
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
    """Lift a document: train an adapter on it and store it; prints the document id and adapter path. Several
    files, a directory or a glob: a batch, one Ray task per document; documents already lifted are skipped, so
    a rerun continues a killed batch."""
    from lift.corpus import expand_paths
    from lift.text import read_document

    flags = locals()
    cfg = build_config(config, {field: flags[flag] for flag, field in TRAIN_FLAGS.items()} | {
        "model.name": model, "model.device": device}, set_)  # fmt: skip
    paths = expand_paths(files)
    if len(paths) != 1 or Path(files[0]).is_dir() or workers > 1 or address:
        if update or previous or nproc > 1:
            raise LiftError("--update, --previous and --nproc lift one document; give one file")
        _train_batch(paths, cfg, force, workers, address)
        return
    document = read_document(paths[0])  # before the model loads: a bad file fails at once
    earlier = _previous_version(document, cfg, previous) if update or previous else None
    if nproc > 1 and int(os.environ.get("WORLD_SIZE", "1")) == 1:
        raise typer.Exit(_torchrun(nproc))
    from lift.progress import make_progress
    from lift.recipe import lift_document
    from lift.train.distributed import init_from_env, is_main, launched_by_torchrun

    device = init_from_env(cfg.model.device) if launched_by_torchrun() else cfg.model.device
    loaded = load(cfg.model.name, device)
    started = time.perf_counter()
    with make_progress(err) as progress:
        result = lift_document(document, loaded, cfg, force=force, progress=progress, previous=earlier)
    if is_main():
        print_lift_summary(result.manifest, time.perf_counter() - started)
        out.print(f"document id: {result.entry.doc_id}")
        out.print(f"adapter:     {result.entry.adapter_dir}")


def _train_batch(paths: list[Path], config, force: bool, workers: int, address: str | None) -> None:
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
    print_corpus_table(result)
    if result.count("failed"):
        raise typer.Exit(1)


def _previous_version(document, config, previous: str | None):
    from lift.home import canonical_model_name, lift_home
    from lift.store import Store

    store = Store(lift_home())
    if previous is not None:
        return store.resolve(previous)
    base = canonical_model_name(config.model.name)
    entry = store.latest(document.source, base, exclude=document.doc_id)
    if entry is None:
        raise LiftError(f"--update: {document.source} was never lifted on {base}; lift it without --update first")
    return entry


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


@user_errors
def pretrain(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="New model directory to write (use it with --model).")],
    articles: Annotated[int, typer.Option(help="Train-half SQuAD articles to use, in title order; 0: all 24.")] = 0,
    epochs: Annotated[int | None, typer.Option(help=field_help("train.epochs"))] = None,
    lr: Annotated[float | None, typer.Option(help="Learning rate (default 1e-3).")] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    set_: SetOption = None,
) -> None:
    """Pre-LIFT SFT (LIFT blog §3.3): fine-tune the base model on the train half of SQuAD's articles (their
    segments + their QA, gamma-weighted), merge the LoRA and save a model directory for --model. The held-out
    half is what `lift eval squad --model OUT` then draws from."""
    from lift.eval.data_dir import resolve_data_dir

    if articles < 0:
        raise LiftError("--articles must be >= 0")
    overrides = {"train.epochs": epochs, "train.lr": lr, "model.name": model, "model.device": device}
    cfg = build_config(config, overrides, set_)
    root = resolve_data_dir(data_dir, cfg.eval.data_dir)
    from lift.pretrain import pretrain as run_pretrain
    from lift.progress import make_progress

    loaded = load(cfg.model.name, cfg.model.device)
    with make_progress(err) as progress:
        record = run_pretrain(loaded, cfg, root, out_dir, articles=articles, progress=progress)
    err.print(
        f"pretrained on {len(record['train_articles'])} articles ({record['segments']} segments, "
        f"{record['qa_examples']} QA) in {record['train_seconds']:.0f}s; loss "
        f"{' -> '.join(f'{x:.3f}' for x in record['loss_per_epoch'])}",
        highlight=False,
    )
    out.print(f"model: {out_dir.resolve()}")
