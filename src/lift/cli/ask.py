"""`lift ask` and `lift demo`: answers from a lifted document."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lift.cli.common import DeviceOption, ModelOption, err, load, out, user_errors
from lift.cli.summary import print_lift_summary
from lift.config import LiftConfig, field_help
from lift.errors import LiftError
from lift.infer.names import ADAPTER_MODES, MODES


@user_errors
def ask(
    doc: Annotated[str, typer.Argument(help="Document: a file path or a document id (prefix) from `lift list`.")],
    question: Annotated[str, typer.Argument(help="The question.")],
    mode: Annotated[str, typer.Option(help=f"Answer mode: {', '.join(MODES)}.")] = "auto",
    max_new_tokens: Annotated[int | None, typer.Option(help=field_help("infer.max_new_tokens"))] = None,
    context_tokens: Annotated[int | None, typer.Option(help=field_help("infer.context_tokens"))] = None,
    beams: Annotated[int | None, typer.Option(help=field_help("infer.beams"))] = None,
    model: ModelOption = None,
    device: DeviceOption = None,
) -> None:
    """Answer QUESTION about DOC. auto (the default): the question gate picks, lift_only for a question about
    the document, no_context for anything else; lift_only: adapter, no document in the prompt; lift_icl: adapter
    plus as much of the document as fits (head and tail); icl: base model with the document; no_context: base
    model alone; rag / rag_bm25: base model with the top chunks ranked by all-MiniLM-L6-v2 / BM25."""
    from lift.home import EMBEDDED_MODEL, canonical_model_name, lift_home
    from lift.store import Store
    from lift.text import read_document

    if mode not in MODES:
        raise LiftError(f"unknown mode '{mode}' (choose from {', '.join(MODES)})")
    if context_tokens is not None and context_tokens < 0:
        raise LiftError("--context-tokens must be >= 0")
    if beams is not None and not 1 <= beams <= 32:
        raise LiftError("--beams must be in [1, 32]")
    entry = None
    if mode in ADAPTER_MODES or not Path(doc).exists():
        entry = Store(lift_home()).resolve(doc)
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
    from lift.infer.candidates import Choosing
    from lift.infer.gate import load_gate
    from lift.infer.modes import lift_icl_reads_frozen

    answering = LiftConfig().infer  # beams: today's defaults, not those of when the document was lifted
    loaded = load(None if base == EMBEDDED_MODEL else base, device or defaults.model.device)
    net = load_adapter(loaded.model, entry.adapter_dir) if entry and mode in ADAPTER_MODES else loaded.model
    answer = answer_question(
        net, loaded.tokenizer, question, mode, document=document_text, window=loaded.window,
        max_new_tokens=max_new_tokens or defaults.infer.max_new_tokens, system=defaults.infer.system_prompt,
        base_system=defaults.infer.base_system_prompt,
        rag=defaults.rag, context_tokens=defaults.infer.context_tokens if context_tokens is None else context_tokens,
        gate=load_gate(entry.path, manifest.gate) if mode == "auto" and entry and manifest else None,
        frozen=lift_icl_reads_frozen(defaults.train, defaults.infer.lift_icl_reading),
        beams=answering.beams if beams is None else beams, choosing=Choosing.of(answering),
    )  # fmt: skip
    err.print(f"[dim]{mode_line(answer)}: {answer.prompt_tokens} prompt tokens, {answer.seconds:.1f}s[/dim]")
    out.print(answer.text, highlight=False, markup=False)


def mode_line(answer) -> str:
    """The mode, and for auto where the gate sent the question."""
    if answer.route is None:
        return answer.mode
    if answer.gate_score is None:
        return f"{answer.mode} -> {answer.route} (no question gate stored)"
    sign = ">=" if answer.route == "adapter" else "<"
    return f"{answer.mode} -> {answer.route} (gate score {answer.gate_score:.3f} {sign} {answer.threshold:.3f})"


@user_errors
def demo(
    generator: Annotated[str | None, typer.Option(help=field_help("synth.generator"))] = None,
    epochs: Annotated[int | None, typer.Option(help=field_help("train.epochs"))] = None,
    device: DeviceOption = None,
) -> None:
    """Lift the bundled Paul Graham essay with the San Francisco needle and ask about it, without the adapter
    and with it (no document in the prompt either time), in the needle's own words and in five others."""
    from lift.demo import run_demo
    from lift.progress import make_progress

    cfg = LiftConfig().with_overrides({"synth.generator": generator, "train.epochs": epochs, "model.device": device})
    loaded = load(cfg.model.name, cfg.model.device)
    with make_progress(err) as progress:
        result = run_demo(loaded, cfg, progress)
    print_lift_summary(result.manifest, result.lift_seconds)
    out.print(f"\n[bold]Q:[/bold] {result.question}  (no document in the prompt)")
    for label, text in (("without the adapter:", result.before), ("with the adapter:   ", result.after)):
        out.print(f"[bold]{label}[/bold] ", end="")
        out.print(text, markup=False, highlight=False)
    out.print(f"needle keywords in the lifted answer: {len(result.keywords_found)}/3 {result.keywords_found}")
    for question, text, found in result.reworded:
        out.print(f"[bold]Q (reworded):[/bold] {question}\n  {len(found)}/3 ", end="")
        out.print(text, markup=False, highlight=False)
    for question, text in result.general:
        out.print(f"[bold]general check with the adapter[/bold] ({question}): ", end="")
        out.print(text, markup=False, highlight=False)
    question, route, text = result.whole
    out.print(f"[bold]Q (the whole essay, auto -> {route}):[/bold] {question}\n  ", end="")
    out.print(text, markup=False, highlight=False)
    out.print(f"document id {result.doc_id}; demo took {result.total_seconds:.0f}s")
