"""Suite names, their default modes, and how each is loaded."""

from __future__ import annotations

from pathlib import Path

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.eval.data_dir import resolve_data_dir
from lift.eval.items import EvalItem

SUITES = ("niah", "paraphrase", "rewording", "gist", "squad", "loogle", "longbench", "custom", "general")
ALL_MODES = ("no_context", "icl", "lift_only", "lift_icl", "rag", "rag_bm25")
DEFAULT_MODES = {
    "niah": ("lift_only", "icl", "rag", "no_context"),
    "paraphrase": ("lift_only", "icl", "rag", "no_context"),
    "rewording": ("lift_only", "auto", "lift_icl", "icl", "rag", "no_context"),
    "gist": ("lift_only", "auto", "lift_icl", "icl", "rag", "no_context"),
    "squad": ALL_MODES,
    "loogle": ALL_MODES,
    "longbench": ALL_MODES,
    "custom": ALL_MODES,
    "general": ("no_context", "lift_only", "auto"),  # auto: the question gate sends them to the base model
}


def load_suite(
    suite: str,
    config: LiftConfig,
    tokenizer,
    *,
    data_dir: str | Path | None = None,
    file: str | Path | None = None,
    documents: list | None = None,
    limit: int | None = None,
    max_documents: int | None = None,
    doc_ids: list[str] | None = None,
) -> list[EvalItem]:
    """The suite's questions; `doc_ids`: only those about the documents whose ids start with one of these,
    `max_documents`: only those about its first N documents, `limit`: then the first N questions."""
    if (limit is not None and limit < 1) or (max_documents is not None and max_documents < 1):
        raise LiftError("--limit and --max-documents must be >= 1")
    items = _suite_items(suite, config, tokenizer, data_dir, file, documents)
    if doc_ids:
        unknown = [p for p in doc_ids if not any(i.document.doc_id.startswith(p) for i in items)]
        if unknown:
            raise LiftError(f"no document of the {suite} suite has an id starting with {', '.join(unknown)}")
        items = [i for i in items if i.document.doc_id.startswith(tuple(doc_ids))]
    if max_documents:
        first = list(dict.fromkeys(i.document.doc_id for i in items))[:max_documents]
        items = [i for i in items if i.document.doc_id in first]
    items = items[:limit] if limit else items
    if not items:
        raise LiftError(f"the {suite} suite has no questions to evaluate")
    return items


def _suite_items(suite, config, tokenizer, data_dir, file, documents) -> list[EvalItem]:
    if suite not in SUITES:
        raise LiftError(f"unknown suite '{suite}' (choose from {', '.join(SUITES)})")
    if suite == "custom":
        from lift.eval.suites.custom import custom_items

        if file is None:
            raise LiftError("the custom suite needs --file QUESTIONS.jsonl")
        return custom_items(file)
    if suite == "general" and (documents or config.eval.general_split == "test"):
        from lift.eval.suites.general import general_items

        return general_items(documents, config.eval.general_split)
    root = resolve_data_dir(data_dir, config.eval.data_dir)
    if suite == "general":  # the dev split lifts the paraphrase suite's dev haystacks (one lift serves both suites)
        from lift.eval.suites.general import general_items
        from lift.eval.suites.paraphrase import paraphrase_items

        haystacks = paraphrase_items(root, tokenizer, "dev", config.eval.paraphrase_tokens)
        return general_items(list({i.document.doc_id: i.document for i in haystacks}.values()), "dev")
    if suite == "niah":
        from lift.eval.suites.niah import niah_items

        return niah_items(root, tokenizer, config.eval.niah_lengths, config.eval.niah_depths, config.eval.niah_needle)
    if suite == "paraphrase":
        from lift.eval.suites.paraphrase import paraphrase_items

        return paraphrase_items(root, tokenizer, config.eval.paraphrase_split, config.eval.paraphrase_tokens)
    if suite == "rewording":
        from lift.eval.suites.rewording import rewording_items

        return rewording_items(root, tokenizer, config.eval.rewording_split)
    if suite == "gist":
        from lift.eval.suites.gist import gist_items

        return gist_items(root, config.eval.gist_split)
    if suite == "squad":
        from lift.eval.suites.squad import pretrained_train_articles, squad_items

        exclude = pretrained_train_articles(config.model.name)
        return squad_items(root, config.eval.squad_questions, config.eval.seed, exclude, config.eval.squad_split)
    if suite == "loogle":
        from lift.eval.suites.loogle import loogle_items

        return loogle_items(root)
    from lift.eval.suites.longbench import longbench_items

    return longbench_items(root, config.eval.longbench_tasks, config.eval.longbench_per_task or None)
