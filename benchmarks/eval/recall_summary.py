"""One line per issue O dev run (benchmarks/results/o_dev/<run>/, made by benchmarks/eval/recall_dev.sh): the
rewording dev split (lift_only and auto correct, by form: synonym / reverse / request / indirect / short+long;
answers naming another fact's entity; the auto questions sent to the base model), the general dev questions
(lift_only, auto), the dev needle (own words, other wordings), the cost (training tokens per document token, from
the rewording folder's documents.json), and the paired difference to the baseline run on the same
questions (lift compare's 95 % interval over facts). Runs named <setting>s<N>_<rest> are seed N of <setting>_<rest>
and are pooled on the settings table. Writes benchmarks/results/o_dev/README.md's tables.

    .venv/bin/python benchmarks/eval/recall_summary.py [--print] [--baseline o00_default]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "o_dev"
sys.path.insert(0, str(ROOT.parents[2] / "src"))
from lift.eval.compare import compare  # noqa: E402

SEED = re.compile(r"^([a-z]\d+)s\d+_")
BEGIN, END = "<!-- table: benchmarks/eval/recall_summary.py -->", "<!-- end of table -->"
FORM_GROUPS = (("synonym",), ("reverse",), ("request",), ("indirect",), ("short", "long"))


def rows(folder: Path, suite: str) -> list[dict]:
    path = folder / suite / "results.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mean(values: list[float]) -> str:
    return f"{100 * sum(values) / len(values):.1f}" if values else "-"


def cost(folders: list[Path]) -> str:
    values = []
    for folder in folders:
        path = folder / "rewording" / "documents.json"
        if path.is_file():
            for record in json.loads(path.read_text(encoding="utf-8")).values():
                # training tokens only: the teacher's replay distributions are computed once per LIFT_HOME and
                # read back from its cache afterwards, so a run's teacher tokens depend on what ran before it
                values.append((record.get("train_tokens") or 0) / record["tokens"])
    return f"{sum(values) / len(values):.1f}" if values else "-"


def paired(folders: list[Path], baseline: list[Path]) -> str:
    mine = [f / "rewording" for f in folders if (f / "rewording" / "results.jsonl").is_file()]
    base = [f / "rewording" for f in baseline if (f / "rewording" / "results.jsonl").is_file()]
    if not mine or not base or mine == base:
        return "-"
    try:
        result = compare(base, mine)
    except Exception:  # an unfinished run: no question in common yet
        return "-"
    return f"{100 * result.difference:+.1f} [{100 * result.low:+.1f}, {100 * result.high:+.1f}] ({result.questions})"


def line_of(name: str, folders: list[Path], baseline: list[Path]) -> str:
    every = lambda suite: [r for folder in folders for r in rows(folder, suite)]  # noqa: E731
    reworded = every("rewording")
    lifted = [r for r in reworded if r["mode"] == "lift_only"]
    auto = [r for r in reworded if r["mode"] == "auto"]
    forms = " / ".join(
        mean([r["scores"]["correct"] for r in lifted if r["group"]["form"] in group]) for group in FORM_GROUPS
    )
    other = mean([r["scores"]["other_fact"] for r in lifted if r["scores"].get("other_fact") is not None])
    to_base = mean([float(r.get("route") == "base") for r in auto])
    general = every("general")
    kept = [mean([r["scores"]["correct"] for r in general if r["mode"] == m]) for m in ("lift_only", "auto")]
    needle = [r for r in every("niah") if r["mode"] == "lift_only"]
    own = [r["scores"]["keywords"] for r in needle if r["group"].get("wording") == "original"]
    others = [r["scores"]["keywords"] for r in needle if r["group"].get("wording") == "reworded"]
    questions = len(lifted) // max(1, len(folders))
    return (
        f"| {name} | {mean([r['scores']['correct'] for r in lifted])} ({questions}) | "
        f"{mean([r['scores']['correct'] for r in auto])} | {forms} | {other} | {to_base} | {kept[0]} | {kept[1]} | "
        f"{mean(own)} | {sum(v == 1.0 for v in others)}/{len(others)} | {cost(folders)} | {paired(folders, baseline)} |"
    )


def table(baseline_name: str) -> str:
    header = (
        "| run | rewording lift_only (questions) | auto | by form: synonym / reverse / request / indirect / short+long "
        "| other_fact | auto to base | general lift_only | general auto | needle own words | other wordings "
        f"| training tokens per document token | lift_only - {baseline_name}, 95 % over facts (questions) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    runs = sorted(p for p in ROOT.iterdir() if (p / "rewording").is_dir()) if ROOT.is_dir() else []
    settings: dict[str, list[Path]] = {}
    for run in runs:
        settings.setdefault(SEED.sub(r"\1_", run.name), []).append(run)
    baseline = settings.get(baseline_name, [ROOT / baseline_name])
    lines = [header, *(line_of(run.name, [run], [baseline[0]]) for run in runs)]
    seeded = [(name, folders) for name, folders in settings.items() if len(folders) > 1]
    if seeded:
        lines += ["", "Settings run with several seeds (each question's score averaged over the seeds; the paired "
                  "difference against the baseline's seeds):", "", header]  # fmt: skip
        lines += [line_of(f"{name} ({len(folders)} seeds)", folders, baseline) for name, folders in seeded]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--print", action="store_true", help="Print the tables; write nothing.")
    parser.add_argument("--baseline", default="o00_default", help="The setting the paired column compares with.")
    args = parser.parse_args()
    text = table(args.baseline)
    if args.print:
        print(text)
        return
    readme = ROOT / "README.md"
    old = readme.read_text(encoding="utf-8") if readme.is_file() else f"# Issue O's dev runs\n\n{BEGIN}\n{END}\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    readme.write_text(pattern.sub(lambda _: f"{BEGIN}\n{text}\n{END}", old), encoding="utf-8")
    print(readme)


if __name__ == "__main__":
    main()
