"""The demo: lift the bundled needle essay and ask the needle question without and with the adapter."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from lift.adapters import load_adapter
from lift.config import LiftConfig
from lift.eval.metrics import all_keywords_whole_word, keywords_found
from lift.infer import answer_question
from lift.infer.candidates import Choosing
from lift.infer.gate import load_gate
from lift.models import LoadedModel
from lift.progress import ProgressLike
from lift.recipe import lift_document
from lift.samples import NEEDLE_KEYWORDS, NEEDLE_QUESTION, NEEDLE_REWORDED, needle_sample
from lift.store import Manifest

GENERAL_CHECKS = ("What is the capital of France?",)
WHOLE_QUESTION = "What is this essay about?"  # about the document as a whole: auto must send it to the adapter


@dataclass
class DemoResult:
    question: str
    before: str  # no_context answer of the base model
    after: str  # lift_only answer with the adapter
    keywords_found: list[str]
    reworded: list[tuple[str, str, list[str]]]  # (question, lift_only answer, needle keywords in it)
    general: list[tuple[str, str]]  # (question, answer with the adapter)
    whole: tuple[str, str, str]  # (question, where auto sent it, its answer)
    doc_id: str
    adapter_dir: Path
    manifest: Manifest
    lift_seconds: float
    total_seconds: float


def answers_correctly(answer: str, keywords: list[str]) -> bool:
    """Every keyword occurs in the answer as a whole word (case-insensitive); 'four|4' accepts either."""
    return all_keywords_whole_word(answer, keywords)


def needle_keywords_in(answer: str) -> list[str]:
    """The NIAH keyword rule of `lift eval niah`: each keyword at a word start ('sandwiches' counts)."""
    return keywords_found(answer, NEEDLE_KEYWORDS)


def run_demo(
    loaded: LoadedModel, config: LiftConfig, progress: ProgressLike | None = None, reworded: bool = True
) -> DemoResult:
    """Ask the needle question without the adapter, lift the needle sample, then ask it with the adapter (and,
    with `reworded`, in the sample's other wordings), one general question, and what the essay is about (auto)."""
    started = time.perf_counter()
    kwargs = {
        "window": loaded.window,
        "max_new_tokens": config.infer.max_new_tokens,
        "system": config.infer.system_prompt,
        "base_system": config.infer.base_system_prompt,
        "beams": config.infer.beams,
        "choosing": Choosing.of(config.infer),
    }
    before = answer_question(loaded.model, loaded.tokenizer, NEEDLE_QUESTION, "no_context", **kwargs).text
    lift_started = time.perf_counter()
    result = lift_document(needle_sample(), loaded, config, force=True, progress=progress)
    lift_seconds = time.perf_counter() - lift_started
    lifted = load_adapter(loaded.model, result.entry.adapter_dir)
    try:
        after = answer_question(lifted, loaded.tokenizer, NEEDLE_QUESTION, "lift_only", **kwargs).text
        other_wordings = []
        for question in NEEDLE_REWORDED if reworded else ():
            text = answer_question(lifted, loaded.tokenizer, question, "lift_only", **kwargs).text
            other_wordings.append((question, text, needle_keywords_in(text)))
        general = [
            (q, answer_question(lifted, loaded.tokenizer, q, "lift_only", **kwargs).text) for q in GENERAL_CHECKS
        ]
        gate = load_gate(result.entry.path, result.manifest.gate)
        routed = answer_question(lifted, loaded.tokenizer, WHOLE_QUESTION, "auto", gate=gate, **kwargs)
        whole = (WHOLE_QUESTION, routed.route or "adapter", routed.text)
    finally:
        lifted.unload()
    return DemoResult(
        question=NEEDLE_QUESTION,
        before=before,
        after=after,
        keywords_found=needle_keywords_in(after),
        reworded=other_wordings,
        general=general,
        whole=whole,
        doc_id=result.entry.doc_id,
        adapter_dir=result.entry.adapter_dir,
        manifest=result.manifest,
        lift_seconds=lift_seconds,
        total_seconds=time.perf_counter() - started,
    )
