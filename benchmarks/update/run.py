"""Incremental update on the embedded model (issue I): lift a 2k-token Paul Graham haystack with the San
Francisco needle at 50 %, append 10 % more essay text ending with a second needle, `lift train --update`;
then ask both needles (lift_only) on the updated entry, and compare the update's cost with the first lift's.

    .venv/bin/python benchmarks/update/run.py [--data-dir DIR] [--set key=value ...]

Writes benchmarks/results/update/README.md and results.json. Uses a fresh LIFT_HOME under /tmp (the embedded
model is linked from $LIFT_HOME/models when there is one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "update"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--length", type=int, default=2000)
    parser.add_argument("--set", action="append", default=[], dest="settings")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lift-update-"))
    models = Path(os.environ.get("LIFT_HOME", Path.home() / ".lift")) / "models"
    if models.is_dir():
        (home / "models").symlink_to(models.resolve(), target_is_directory=True)
    os.environ["LIFT_HOME"] = str(home)

    from lift.adapters import load_adapter
    from lift.config import LiftConfig
    from lift.eval.data_dir import resolve_data_dir, suite_dir
    from lift.eval.suites.niah import (
        DEV_KEYWORDS,
        DEV_NEEDLE,
        DEV_QUESTION,
        KEYWORDS,
        QUESTION,
        build_haystack,
        essay_texts,
    )
    from lift.infer import answer_question
    from lift.models import load_model
    from lift.recipe import lift_document
    from lift.text.documents import document_from_text

    config = LiftConfig()
    for setting in args.settings:
        key, _, value = setting.partition("=")
        config = config.with_overrides({key: value})
    loaded = load_model(None, "cpu")
    texts = essay_texts(suite_dir(resolve_data_dir(args.data_dir, None), "niah") / "PaulGrahamEssays")
    first_text = build_haystack("\n\n".join(texts), loaded.tokenizer, args.length, 50).text
    extra = build_haystack("\n\n".join(reversed(texts)), loaded.tokenizer, args.length // 10, 100, DEV_NEEDLE).text
    v1 = document_from_text(first_text, title="update v1", source="/bench/update.txt")
    v2 = document_from_text(first_text + "\n\n" + extra, title="update v2", source="/bench/update.txt")

    started = time.perf_counter()
    first = lift_document(v1, loaded, config)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = lift_document(v2, loaded, config, previous=first.entry)
    update_s = time.perf_counter() - started

    def ask(entry, question: str, keywords: list[str]) -> tuple[str, float]:
        adapter = load_adapter(loaded.model, entry.adapter_dir)
        try:
            text = answer_question(adapter, loaded.tokenizer, question, "lift_only", window=loaded.window,
                                   max_new_tokens=64, system=config.infer.system_prompt).text  # fmt: skip
        finally:
            adapter.unload()
        return text, sum(k.lower() in text.lower() for k in keywords) / len(keywords)

    answers = {
        "v1, first needle": ask(first.entry, QUESTION, KEYWORDS),
        "v2 (update), first needle": ask(second.entry, QUESTION, KEYWORDS),
        "v2 (update), second needle": ask(second.entry, DEV_QUESTION, DEV_KEYWORDS),
    }
    scale = second.manifest.tokens / first.manifest.tokens  # a full relift of v2 costs about this much more
    result = {
        "command": ".venv/bin/python benchmarks/update/run.py " + " ".join(sys.argv[1:]),
        "v1_tokens": first.manifest.tokens, "v2_tokens": second.manifest.tokens,
        "first_lift_s": round(first_s, 1), "update_s": round(update_s, 1),
        "first_training_tokens": first.manifest.training.tokens,
        "update_training_tokens": second.manifest.training.tokens,
        "update_time_share_of_relift": round(update_s / (first_s * scale), 3),
        "update_token_share_of_relift": round(
            second.manifest.training.tokens / (first.manifest.training.tokens * scale), 3
        ),
        "lineage": {k: v for k, v in second.manifest.to_dict()["lineage"].items() if k != "changed_sentences"},
        "changed_sentences": len(second.manifest.lineage.changed_sentences),
        "answers": {k: {"answer": a, "keywords": s} for k, (a, s) in answers.items()},
    }  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    lines = [
        "# Incremental update (embedded SmolLM2-135M, CPU)", "", f"Made by `{result['command']}`.", "",
        f"A {result['v1_tokens']}-token haystack with the San Francisco needle at 50 % was lifted, then "
        f"{result['v2_tokens'] - result['v1_tokens']} tokens were appended ending with a second needle, and "
        f"`--update` trained on from the first adapter: {result['changed_sentences']} changed sentences got new "
        f"QA, {result['lineage']['replayed_sentences']} unchanged ones were replayed.", "",
        "| | first lift | update | update / full relift of v2 |", "|---|---|---|---|",
        f"| wall time | {result['first_lift_s']} s | {result['update_s']} s | "
        f"{result['update_time_share_of_relift']} |",
        f"| training tokens | {result['first_training_tokens']} | {result['update_training_tokens']} | "
        f"{result['update_token_share_of_relift']} |", "",
        "(a full relift of v2 is counted as the first lift scaled by the token ratio v2/v1)", "",
        "| question | keywords recalled | answer |", "|---|---|---|",
        *[f"| {k} | {v['keywords']:.2f} | {v['answer'][:120]} |" for k, v in result["answers"].items()],
    ]  # fmt: skip
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
