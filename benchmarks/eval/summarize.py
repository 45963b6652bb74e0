"""Write benchmarks/results/README.md from the committed eval folders: headline tables and the team's goals.

    .venv/bin/python benchmarks/eval/summarize.py

Every number comes from a folder's results.jsonl (made by benchmarks/eval/run.sh); nothing is typed in.
"""

from __future__ import annotations

import json
from pathlib import Path

from lift.eval.report import summary
from lift.eval.results import read_results

RESULTS = Path(__file__).resolve().parents[1] / "results"
MAIN_METRIC = {
    "niah": "keywords", "squad": "f1", "loogle": "f1", "longbench": None, "general": "correct", "paraphrase": "correct"
}  # fmt: skip


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def folder_table(rows: list[dict]) -> list[str]:
    table = summary(rows)
    metrics = list(dict.fromkeys(m for scores in table.values() for m in scores))
    lines = ["| mode | " + " | ".join(metrics) + " |", "|" + "---|" * (len(metrics) + 1)]
    for mode, scores in table.items():
        lines.append(f"| {mode} | " + " | ".join(pct(scores.get(m)) for m in metrics) + " |")
    return lines


def row(goal: str, measured: str, met: bool) -> str:
    return f"| {goal} | {measured} | {'yes' if met else 'no'} |"


def goals(folders: dict[str, list[dict]]) -> list[str]:
    lines = ["| goal | measured | met |", "|---|---|---|"]
    niah = [r for name, rows in folders.items() if name.startswith("niah_lift") and not name.startswith("niah_lift_m1")
            for r in rows if r["mode"] == "lift_only"]  # fmt: skip
    if niah:
        perfect = sum(r["scores"]["keywords"] == 1.0 for r in niah)
        mean = pct(sum(r["scores"]["keywords"] for r in niah) / len(niah))
        measured = f"{perfect}/{len(niah)} cells at 100 %, mean {mean} %"
        lines.append(row("NIAH lift_only 100 % at every cell", measured, perfect == len(niah)))
    for name in sorted(n for n in folders if n.startswith("niah_lift_m1")):
        cells = [r for r in folders[name] if r["mode"] == "lift_only"]
        perfect = sum(r["scores"]["keywords"] == 1.0 for r in cells)
        lengths = sorted({r["group"]["length"] for r in cells})
        goal = f"NIAH m = 1 lift_only 100 % at every depth, 1k-4k ({name})"
        measured = f"{perfect}/{len(cells)} cells at 100 % (lengths {', '.join(str(n) for n in lengths)})"
        met = bool(cells) and perfect == len(cells) and {1000, 2000, 4000} <= set(lengths)
        lines.append(row(goal, measured, met))
    for name in sorted(n for n in folders if n.startswith("niah_long")):
        lines += beyond_window_goal(name, folders[name])
    for name in sorted(n for n in folders if n.startswith(("niah_lift", "niah_long"))):
        lines += cost_goal(name, folders[name])
    for name in sorted(n for n in folders if n.startswith("squad") and n != "squad_dev"):
        lines += squad_goals(name, folders[name], folders.get("squad", []))
    loogle = summary(folders.get("loogle", []))
    if not {"lift_icl", "icl", "rag"} <= loogle.keys():
        lines.append("| LooGLE lift_icl > icl and > rag | not measured: no lift_icl rows yet | - |")
    if "loogle" in folders:
        s = loogle
        if {"lift_icl", "icl", "rag"} <= s.keys():
            for metric in ("f1", "rouge_l"):
                a, b, c = s["lift_icl"][metric], s["icl"][metric], s["rag"][metric]
                goal = f"LooGLE lift_icl > icl and > rag ({metric}, all questions)"
                lines.append(row(goal, f"{pct(a)} vs {pct(b)} / {pct(c)}", a > b and a > c))
            lines += loogle_document_goal(folders["loogle"])
    for name in sorted(n for n in folders if n.startswith("general")):
        label = "" if name == "general" else f" ({name})"
        s = summary(folders[name])
        if {"no_context", "lift_only"} <= s.keys():
            drop = 100 * (s["no_context"]["correct"] - s["lift_only"]["correct"])
            measured = f"{drop:.1f} points ({pct(s['no_context']['correct'])} -> {pct(s['lift_only']['correct'])})"
            lines.append(row(f"general accuracy drop <= 2 points{label}", measured, drop <= 2))
        if {"no_context", "auto"} <= s.keys():
            drop = 100 * (s["no_context"]["correct"] - s["auto"]["correct"])
            measured = f"{drop:.1f} points ({pct(s['no_context']['correct'])} -> {pct(s['auto']['correct'])})"
            lines.append(row(f"general accuracy drop <= 2 points with the gate (auto){label}", measured, drop <= 2))
    for name in sorted(n for n in folders if n.startswith("paraphrase") and n != "paraphrase_dev"):
        lines += paraphrase_goals(name, folders[name], folders.get("paraphrase_wh", []))
    return lines


def with_baselines(
    rows: list[dict], baseline_rows: list[dict], modes: tuple[str, ...], source: str
) -> tuple[list[dict], str]:
    """rows, plus the baseline folder's rows of the modes that rows lack, on the same questions only (a run
    that scored only the adapter's modes is compared with the base-model modes of an earlier run of the same
    suite); the note names what was borrowed."""
    have = {r["mode"] for r in rows}
    items = {r["item_id"] for r in rows}
    borrowed = [r for r in baseline_rows if r["mode"] in modes and r["mode"] not in have and r["item_id"] in items]
    names = sorted({r["mode"] for r in borrowed})
    return rows + borrowed, (f"; {', '.join(names)} from {source}, same questions" if names else "")


def squad_goals(name: str, rows: list[dict], baseline_rows: list[dict]) -> list[str]:
    """lift_only F1 >= 2x no_context and >= 0.8x icl, on the folder's questions."""
    rows, note = with_baselines(rows, baseline_rows, ("no_context", "icl"), "squad")
    s = summary(rows)
    if not {"lift_only", "no_context", "icl"} <= s.keys():
        return []
    lift, none, icl = s["lift_only"]["f1"], s["no_context"]["f1"], s["icl"]["f1"]
    n = len({r["item_id"] for r in rows if r["mode"] == "lift_only"})
    label = "" if name == "squad" else f" ({name}, {n} questions{note})"
    ratio = lift / none if none else float("inf")
    return [
        row(
            f"SQuAD lift_only F1 >= 2x no_context{label}",
            f"{pct(lift)} vs {pct(none)} ({ratio:.2f}x)",
            lift >= 2 * none,
        ),
        row(
            f"SQuAD lift_only F1 >= 0.8x icl{label}",
            f"{pct(lift)} vs {pct(icl)} ({lift / icl:.2f}x)",
            lift >= 0.8 * icl,
        ),
    ]


def loogle_document_goal(rows: list[dict]) -> list[str]:
    """lift_icl's F1 above both icl's and rag's on at least 3 documents (each document's own questions)."""
    wins = []
    documents = list(dict.fromkeys(r["doc_id"] for r in rows))
    for doc_id in documents:
        s = summary([r for r in rows if r["doc_id"] == doc_id])
        if {"lift_icl", "icl", "rag"} <= s.keys():
            a, b, c = s["lift_icl"]["f1"], s["icl"]["f1"], s["rag"]["f1"]
            wins.append(a > b and a > c)
    measured = f"{sum(wins)} of {len(wins)} documents (f1; per-document intervals in loogle/report.md)"
    return [row("LooGLE lift_icl > icl and > rag on >= 3 documents", measured, sum(wins) >= 3)]


def beyond_window_goal(name: str, rows: list[dict]) -> list[str]:
    """lift_only 100 % at 16k and 32k tokens (2x and 4x the 8k window) at depths 10/50/90, icl and rag beside."""
    cells = sorted({(r["group"]["length"], r["group"]["depth"]) for r in rows})
    parts = []
    for mode in ("lift_only", "icl", "rag"):
        scores = [r["scores"]["keywords"] for r in rows if r["mode"] == mode]
        if scores:
            parts.append(f"{mode} {sum(s == 1.0 for s in scores)}/{len(scores)}")
    grid = ", ".join(f"{length // 1000}k@{depth:g}%" for length, depth in cells)
    wanted = {(length, depth) for length in (16000, 32000) for depth in (10.0, 50.0, 90.0)}
    lift = [r for r in rows if r["mode"] == "lift_only"]
    met = wanted <= set(cells) and all(r["scores"]["keywords"] == 1.0 for r in lift)
    measured = f"cells at 100 %: {'; '.join(parts)} (cells {grid})"
    goal = f"NIAH beyond the window: lift_only 100 % at 16k and 32k, depths 10/50/90 ({name})"
    return [row(goal, measured, met)]


def cost_goal(name: str, rows: list[dict]) -> list[str]:
    """At most 20 training tokens per document token at full NIAH recall: the training tokens (documents.json;
    older records: training seconds x tokens/s) over the document's tokens, the largest over the folder's cells."""
    path = RESULTS / name / "documents.json"
    if not path.is_file():
        return []
    documents = json.loads(path.read_text(encoding="utf-8")).values()
    trained = [d.get("train_tokens") or d["train_seconds"] * d["train_tokens_per_second"] for d in documents]
    costs = [tokens / d["tokens"] for tokens, d in zip(trained, documents, strict=True) if d["tokens"]]
    lift = [r["scores"]["keywords"] for r in rows if r["mode"] == "lift_only"]
    if not costs or not lift:
        return []
    recalled = sum(score == 1.0 for score in lift)
    measured = f"{max(costs):.1f} at most (mean {sum(costs) / len(costs):.1f}); recall {recalled}/{len(lift)} cells"
    met = max(costs) <= 20 and recalled == len(lift)
    return [row(f"cost <= 20 training tokens per document token at full recall ({name})", measured, met)]


def paraphrase_goals(name: str, rows: list[dict], baseline_rows: list[dict]) -> list[str]:
    """lift_only >= 80 % on the direct wh-forms, and >= 0.9x icl over all forms (icl from the same folder, else
    from the same questions of paraphrase_wh)."""
    lines = []
    rows, note = with_baselines(rows, baseline_rows, ("icl",), "paraphrase_wh")
    lift = [r for r in rows if r["mode"] == "lift_only"]
    if not lift:
        return lines
    direct = [r["scores"]["correct"] for r in lift if r["group"]["direct"]]
    if direct:
        rate = sum(direct) / len(direct)
        lines.append(
            row(f"{name}: lift_only >= 80 % on direct wh-forms", f"{pct(rate)} % (n={len(direct)})", rate >= 0.8)
        )
    s = summary(rows)
    if "icl" in s:
        a, b = s["lift_only"]["correct"], s["icl"]["correct"]
        lines.append(
            row(f"{name}: lift_only >= 0.9x icl, all forms", f"{pct(a)} vs {pct(b)} ({a / b:.2f}x{note})", a >= 0.9 * b)
        )
    return lines


def main() -> None:
    folders = {}
    for folder in sorted(RESULTS.iterdir()):
        if (folder / "results.jsonl").is_file():
            folders[folder.name] = read_results(folder / "results.jsonl")
    lines = [
        "# Evaluation results (embedded SmolLM2-135M-Instruct, 2-core CPU)",
        "",
        "Made by `bash benchmarks/eval/run.sh` (each folder's report.md lists its exact commands, config and",
        "versions); this page by `.venv/bin/python benchmarks/eval/summarize.py`. Scores in percent.",
        "",
        "## Goals",
        "",
        *goals(folders),
        "",
    ]
    for name, rows in folders.items():
        info = json.loads((RESULTS / name / "run.json").read_text(encoding="utf-8"))
        questions = len({r["item_id"] for r in rows})
        documents = len({r["doc_id"] for r in rows})
        lines += [f"## [{name}]({name}/report.md)", "", f"{questions} questions, {documents} documents, "
                  f"{len(rows)} answers. Commands:", ""]  # fmt: skip
        lines += [f"    {c}" for c in info.get("commands", [info.get("command")])] + [""]
        lines += folder_table(rows) + [""]
    (RESULTS / "README.md").write_text("\n".join(lines), encoding="utf-8")
    print(RESULTS / "README.md")


if __name__ == "__main__":
    main()
