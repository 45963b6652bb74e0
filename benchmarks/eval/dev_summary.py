"""One line per issue M dev run (benchmarks/results/m_dev/<run>/, made by benchmarks/eval/dev.sh): the paraphrase
dev split (direct wh-forms, all forms, names / objects, answers naming another fact's entity), the general dev
questions (lift_only, auto), the dev needle (own words, other wordings) and the cost (training + teacher tokens
per document token, from each folder's documents.json). Writes benchmarks/results/m_dev/README.md's table.

    .venv/bin/python benchmarks/eval/dev_summary.py [--print]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "m_dev"
SEED = re.compile(r"^([a-z]\d+)s\d+_")  # d00s1_k: seed 1 of the setting d00_k
BEGIN, END = "<!-- table: benchmarks/eval/dev_summary.py -->", "<!-- end of table -->"


def rows(folder: Path, suite: str) -> list[dict]:
    path = folder / suite / "results.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mean(values: list[float]) -> str:
    return f"{100 * sum(values) / len(values):.1f}" if values else "-"


def correct(chosen: list[dict]) -> str:
    return mean([r["scores"]["correct"] for r in chosen])


def cost(folder: Path) -> str:
    per_document = {}
    for suite in ("paraphrase", "niah", "squad"):
        path = folder / suite / "documents.json"
        if path.is_file():
            for doc_id, record in json.loads(path.read_text(encoding="utf-8")).items():
                spent = (record.get("train_tokens") or 0) + (record.get("teacher_tokens") or 0)
                per_document[doc_id] = spent / record["tokens"]
    if not per_document:
        return "-"
    values = list(per_document.values())
    return f"{sum(values) / len(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def line(folder: Path) -> str:
    return line_of(folder.name, [folder])


def line_of(name: str, folders: list[Path]) -> str:
    """One line over one run, or over several runs of one setting (seeds): every question of each counts."""
    every = lambda suite: [r for folder in folders for r in rows(folder, suite)]  # noqa: E731
    paraphrase = [r for r in every("paraphrase") if r["mode"] == "lift_only"]
    direct = [r for r in paraphrase if r["group"].get("direct")]
    families = [correct([r for r in direct if r["group"]["family"] == f]) for f in ("names", "objects")]
    other = [r["scores"]["other_fact"] for r in paraphrase if r["scores"].get("other_fact") is not None]
    general = every("general")
    lifted, auto = ([r["scores"]["correct"] for r in general if r["mode"] == m] for m in ("lift_only", "auto"))
    needle = [r for r in every("niah") if r["mode"] == "lift_only"]
    own = [r["scores"]["keywords"] for r in needle if r["group"].get("wording") == "original"]
    others = [r["scores"]["keywords"] for r in needle if r["group"].get("wording") == "reworded"]
    recalled = sum(v == 1.0 for v in others)
    squad = {m: [r["scores"]["f1"] for r in every("squad") if r["mode"] == m] for m in ("lift_only", "icl")}
    squad_f1 = f"{mean(squad['lift_only'])} (icl {mean(squad['icl'])})" if squad["lift_only"] else "-"
    return (
        f"| {name} | {correct(direct)} ({families[0]} / {families[1]}) | {correct(paraphrase)} | "
        f"{mean(other)} | {mean(lifted)} | {mean(auto)} | {mean(own)} | "
        f"{recalled}/{len(others)} | {squad_f1} | {cost(folders[0])} |"
    )


def table() -> str:
    header = (
        "| run | paraphrase direct wh (names / objects) | all forms | other_fact | general lift_only | general auto "
        "| needle own words | other wordings | SQuAD dev F1 | tokens per document token |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    )
    runs = sorted(p for p in ROOT.iterdir() if p.is_dir()) if ROOT.is_dir() else []
    settings: dict[str, list[Path]] = {}
    for run in runs:
        settings.setdefault(SEED.sub(r"\1_", run.name), []).append(run)
    seeded = [(name, folders) for name, folders in settings.items() if len(folders) > 1]
    lines = [header, *(line(run) for run in runs)]
    if seeded:
        lines += ["", "The settings run with several seeds, every seed's questions together:", "", header]
        lines += [line_of(f"{name} ({len(folders)} seeds)", folders) for name, folders in seeded]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--print", action="store_true", help="Print the table; write nothing.")
    args = parser.parse_args()
    text = table()
    if args.print:
        print(text)
        return
    readme = ROOT / "README.md"
    old = readme.read_text(encoding="utf-8") if readme.is_file() else f"# Issue M's dev runs\n\n{BEGIN}\n{END}\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    readme.write_text(pattern.sub(lambda _: f"{BEGIN}\n{text}\n{END}", old), encoding="utf-8")
    print(readme)


if __name__ == "__main__":
    main()
