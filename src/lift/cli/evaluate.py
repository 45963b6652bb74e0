"""`lift eval`, `lift report` and `lift compare`."""

from __future__ import annotations

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
from lift.errors import LiftError
from lift.infer.names import MODES


@user_errors
def eval_(
    suite: Annotated[
        str, typer.Argument(help="niah, paraphrase, rewording, gist, squad, loogle, longbench, custom or general.")
    ],
    modes: Annotated[
        str | None,
        typer.Option(help=f"Comma list of modes ({', '.join(MODES)}); default: the suite's own list."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Evaluate only the first N questions of the suite.")] = None,
    max_documents: Annotated[
        int | None, typer.Option(help="Evaluate only the questions about the suite's first N documents.")
    ] = None,
    doc_id: Annotated[
        list[str] | None,
        typer.Option(
            "--doc-id",
            help="Evaluate only the questions about this document (an id or its prefix; "
            "repeatable). A folder's documents.json lists the ids.",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default eval-results/SUITE).")
    ] = None,
    config: ConfigOption = None,
    data_dir: DataDirOption = None,
    file: Annotated[Path | None, typer.Option("--file", help="custom suite: the questions JSONL file.")] = None,
    document: Annotated[
        list[Path] | None,
        typer.Option("--document", help="general suite: document(s) to lift (default: the demo essay)."),
    ] = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    set_: SetOption = None,
) -> None:
    """Evaluate SUITE in every mode on the same base model: writes results.jsonl (one row per question x mode),
    report.md (tables with 95% bootstrap intervals) and plots. Rerunning the same command resumes."""
    from lift.eval.suites import DEFAULT_MODES, SUITES, load_suite
    from lift.text import read_document

    if suite not in SUITES:
        raise LiftError(f"unknown suite '{suite}' (choose from {', '.join(SUITES)})")
    cfg = build_config(config, {"model.name": model, "model.device": device}, set_)
    chosen = [m.strip() for m in modes.split(",") if m.strip()] if modes else list(DEFAULT_MODES[suite])
    for mode in chosen:
        if mode not in MODES:
            raise LiftError(f"unknown mode '{mode}' (choose from {', '.join(MODES)})")
    out_dir = out_dir or Path("eval-results") / suite
    documents = [read_document(p) for p in document] if document else None
    from lift.eval.judge import Judge
    from lift.eval.report import summary, write_report
    from lift.eval.run_info import RunInfo, record_run
    from lift.eval.runner import run_eval
    from lift.progress import make_progress

    loaded = load(cfg.model.name, cfg.model.device)
    items = load_suite(suite, cfg, loaded.tokenizer, data_dir=data_dir, file=file, documents=documents,
                       limit=limit, max_documents=max_documents, doc_ids=doc_id)  # fmt: skip
    arguments = {"-o": out_dir, "--limit": limit, "--max-documents": max_documents,
                 "--doc-id": doc_id or [], "-c": config, "--file": file,
                 "--data-dir": data_dir, "--model": model, "--device": device, "--document": document or [],
                 "--set": set_ or []}  # fmt: skip
    record_run(out_dir, RunInfo.new(suite, chosen, cfg, loaded.name, str(loaded.device), arguments))
    judge = Judge.from_config(cfg.eval) if suite in ("loogle", "custom") else None
    err.print(f"{suite}: {len(items)} questions x {len(chosen)} modes -> {out_dir}", highlight=False)
    with make_progress(err) as progress:
        run = run_eval(items, chosen, loaded, cfg, out_dir, progress=progress, judge=judge)
    report = write_report(out_dir, cfg.eval.bootstrap_samples, cfg.eval.seed)
    err.print(f"{run.new_rows} new answers ({len(run.rows)} in all); documents lifted {run.lifted}, "
              f"reused from the store {run.reused}", highlight=False)  # fmt: skip
    for mode, scores in summary([r for r in run.rows if r.suite == suite]).items():
        out.print(f"{mode:>10}: " + ", ".join(f"{k} {100 * v:.1f}" for k, v in scores.items()), highlight=False)
    out.print(f"report: {report}")


@user_errors
def report(out_dir: Annotated[Path, typer.Argument(help="An eval output folder (holding results.jsonl).")]) -> None:
    """Rebuild report.md and the plots of an eval output folder from its results.jsonl."""
    from lift.eval.results import RESULTS

    if not (out_dir / RESULTS).is_file():
        raise LiftError(f"no {RESULTS} in {out_dir}")
    from lift.eval.report import write_report

    out.print(f"report: {write_report(out_dir)}")


@user_errors
def compare(
    a: Annotated[str, typer.Argument(help="Setting A: an eval output folder, or a comma list of them (one per seed).")],
    b: Annotated[str, typer.Argument(help="Setting B, the same way (the difference is B - A).")],
    mode: Annotated[str, typer.Option(help="The answer mode compared.")] = "lift_only",
    mode_b: Annotated[
        str | None, typer.Option(help="Another mode for B (e.g. lift_icl against A's icl); default: --mode.")
    ] = None,
    metric: Annotated[
        str, typer.Option(help="The score compared (correct, keywords, f1, other_fact, ...).")
    ] = "correct",
    cluster: Annotated[
        str | None,
        typer.Option(help="Group key resampled together ('question': each alone); default: fact where rows have it."),
    ] = None,
) -> None:
    """Paired difference of two settings on the same questions, with a 95 % bootstrap interval: each question's
    score averaged over a side's folders (seeds), B - A over the questions both answered."""
    from lift.eval.compare import compare as compare_runs

    def folders(text: str) -> list[Path]:
        return [Path(p.strip()) for p in text.split(",") if p.strip()]

    for name in (mode, mode_b or mode):
        if name not in MODES:
            raise LiftError(f"unknown mode '{name}' (choose from {', '.join(MODES)})")
    result = compare_runs(folders(a), folders(b), mode, metric, mode_b=mode_b, cluster=cluster)
    out.print(result.line(), highlight=False)
