"""Write benchmarks/results/README.md from the committed eval folders: today's default recipe (issue O's, folders
ending in _o and the long cells of recipe o) against issue O's goals beside issue M's default, then M's goals beside
K's default, K's goals and the dev runs that chose K, then every folder with the commands that made it.

    .venv/bin/python benchmarks/eval/summarize.py

Every number comes from a folder's results.jsonl and documents.json (made by benchmarks/eval/run.sh or, for
k_dev, by `lift eval` on the dev splits); nothing is typed in.
"""

from __future__ import annotations

import json
from pathlib import Path

from lift.eval.report import summary
from lift.eval.results import EvalRow, read_results
from lift.eval.run_info import read_run_info

RESULTS = Path(__file__).resolve().parents[1] / "results"
PARAPHRASE_DIRECT_GOALS = (("names", "paraphrase names: direct wh-forms >= 80 %", 0.8),
                           ("objects", "paraphrase objects: direct wh-forms >= 60 %", 0.6))  # fmt: skip
O_GENERAL_LOST = (("auto", 2), ("lift_only", 20))  # issue O's bounds on general answers lost, in points


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def load(folder: Path) -> tuple[list[EvalRow], dict]:
    documents = folder / "documents.json"
    return read_results(folder / "results.jsonl"), json.loads(documents.read_text()) if documents.is_file() else {}


def cost(documents: dict) -> str:
    """Training tokens per document token over the folder's lifted documents (all of them together)."""
    lifted = [d for d in documents.values() if d.get("train_tokens") and d.get("tokens")]
    if not lifted:
        return "-"
    ratios = [d["train_tokens"] / d["tokens"] for d in lifted]
    overall = sum(d["train_tokens"] for d in lifted) / sum(d["tokens"] for d in lifted)
    return f"{overall:.1f} ({min(ratios):.1f}-{max(ratios):.1f})"


def folder_table(rows: list[EvalRow]) -> list[str]:
    table = summary(rows)
    metrics = list(dict.fromkeys(m for scores in table.values() for m in scores))
    lines = ["| mode | " + " | ".join(metrics) + " |", "|" + "---|" * (len(metrics) + 1)]
    for mode, scores in table.items():
        lines.append(f"| {mode} | " + " | ".join(pct(scores.get(m)) for m in metrics) + " |")
    return lines


def goal(name: str, measured: str, met: bool | None) -> str:
    return f"| {name} | {measured} | {'-' if met is None else 'yes' if met else 'no'} |"


def paraphrase_goals(rows: list[EvalRow]) -> list[str]:
    lines = []
    for family in ("names", "objects"):
        fam = [r for r in rows if r.group.get("family", "names") == family]
        if not fam:
            continue
        by_mode = {}
        for mode in ("lift_only", "icl", "rag"):
            mine = [r for r in fam if r.mode == mode]
            if not mine:
                continue
            direct = mean([r.scores["correct"] for r in mine if r.group["direct"]])
            every = mean([r.scores["correct"] for r in mine])
            yes_no = mean([r.scores["correct"] for r in mine if r.group["form"] == "yes_no"])
            other = mean([r.scores.get("other_fact") or 0.0 for r in mine])
            by_mode[mode] = (direct, every, yes_no, other)
        if "lift_only" not in by_mode:
            continue
        direct, every, yes_no, other = by_mode["lift_only"]
        asked = len({r.item_id for r in fam if r.mode == "lift_only"})
        beside = "; ".join(
            f"{m} {pct(v[0])} / {pct(v[1])} / {pct(v[2])}" for m, v in by_mode.items() if m != "lift_only"
        )
        lines += [
            goal(f"paraphrase {family}: direct wh-forms >= 80 %",
                 f"{pct(direct)} on {asked} questions ({beside or 'no baselines'})",
                 direct is not None and direct >= 0.8),
            goal(f"paraphrase {family}: all forms >= 60 %", pct(every), every is not None and every >= 0.6),
            goal(f"paraphrase {family}: yes/no >= 80 %", pct(yes_no), yes_no is not None and yes_no >= 0.8),
            goal(f"paraphrase {family}: answers naming another fact's entity <= 5 %", pct(other), other <= 0.05),
        ]  # fmt: skip
    return lines


def niah_goals(rows: list[EvalRow], wanted: set[tuple[int, int]], name: str) -> list[str]:
    lift = [r for r in rows if r.mode == "lift_only"]
    cells = sorted({(r.group["length"], int(r.group["depth"])) for r in lift})
    own = {(r.group["length"], int(r.group["depth"])): r.scores["keywords"] for r in lift
           if r.group.get("wording", "original") == "original"}  # fmt: skip
    reworded: dict[tuple[int, int], list[float]] = {}
    for r in lift:
        if r.group.get("wording") == "reworded":
            reworded.setdefault((r.group["length"], int(r.group["depth"])), []).append(r.scores["keywords"])
    full = sum(v == 1.0 for v in own.values())
    four_of_five = sum(sum(v == 1.0 for v in values) >= 4 for values in reworded.values())
    cell_names = ", ".join(f"{length // 1000}k@{depth}" for length, depth in cells)
    beside = []
    for mode in ("icl", "rag"):
        base = [r for r in rows if r.mode == mode and r.group.get("wording", "original") == "original"]
        if base:
            beside.append(f"{mode} {sum(r.scores['keywords'] == 1.0 for r in base)}/{len(base)}")
    return [
        goal(f"{name}: needle in its own words, 100 % in every cell", f"{full}/{len(own)} cells ({cell_names}); "
             + ", ".join(beside), full == len(own) and wanted <= set(cells)),
        goal(f"{name}: 4 of 5 other wordings in every cell", f"{four_of_five}/{len(reworded)} cells",
             bool(reworded) and four_of_five == len(reworded) and wanted <= set(reworded)),
    ]  # fmt: skip


def default_goals(folders: dict[str, tuple[list[EvalRow], dict]]) -> list[str]:
    lines = ["| goal | measured | met |", "|---|---|---|"]
    costs = [d["train_tokens"] / d["tokens"] for _, docs in folders.values() for d in docs.values()
             if d.get("train_tokens") and d.get("tokens")]  # fmt: skip
    if costs:
        lines.append(goal("cost <= 20 training tokens per document token", f"{max(costs):.1f} at most over "
                          f"{len(costs)} lifts (mean {sum(costs) / len(costs):.1f})", max(costs) <= 20))  # fmt: skip
    if "paraphrase_k" in folders:
        lines += paraphrase_goals(folders["paraphrase_k"][0])
    if "niah_k" in folders:
        wanted = {(n, d) for n in (1000, 2000, 4000) for d in (0, 50, 100)} | {(8000, 50)}
        lines += niah_goals(folders["niah_k"][0], wanted, "NIAH 1k-4k x 0/50/100, 8k@50")
    if "niah_long_k" in folders:
        lines += niah_goals(folders["niah_long_k"][0], {(16000, 10), (16000, 50), (16000, 90), (32000, 50)},
                            "NIAH 16k@10/50/90, 32k@50")  # fmt: skip
    if "niah_long_k_steps" in folders:
        lines += niah_goals(folders["niah_long_k_steps"][0], {(16000, 50)}, "NIAH 16k@50, ~100 steps per lift")
    if "squad_k" in folders:
        s = summary(folders["squad_k"][0])
        if {"lift_only", "icl", "no_context"} <= set(s):
            lift, icl, none = s["lift_only"]["f1"], s["icl"]["f1"], s["no_context"]["f1"]
            lines.append(goal("SQuAD lift_only F1 >= icl", f"{pct(lift)} vs {pct(icl)}", lift >= icl))
            lines.append(goal("SQuAD lift_only F1 >= 2x no_context", f"{pct(lift)} vs {pct(none)}", lift >= 2 * none))
    if "general_k" in folders:
        s = summary(folders["general_k"][0])
        for mode, bound in (("auto", 2), ("lift_only", 5)):
            if mode in s and "no_context" in s:
                drop = 100 * (s["no_context"]["correct"] - s[mode]["correct"])
                lines.append(goal(f"general answers lost, {mode} <= {bound} points", f"{drop:.1f}", drop <= bound))
    return lines


def _lift_cost(documents: dict) -> list[float]:
    """(training + teacher tokens) per document token of each lifted document."""
    return [(d["train_tokens"] + (d.get("teacher_tokens") or 0)) / d["tokens"] for d in documents.values()
            if d.get("train_tokens") and d.get("tokens")]  # fmt: skip


def _paraphrase_m(rows: list[EvalRow]) -> dict[str, float | None]:
    lift = [r for r in rows if r.mode == "lift_only"]
    out = {}
    for family in ("names", "objects"):
        mine = [r for r in lift if r.group.get("family", "names") == family and r.group["direct"]]
        out[family] = mean([r.scores["correct"] for r in mine])
    out["other"] = mean([r.scores.get("other_fact") or 0.0 for r in lift]) if lift else None
    out["icl names"] = mean([r.scores["correct"] for r in rows if r.mode == "icl" and r.group["direct"]
                             and r.group.get("family", "names") == "names"])  # fmt: skip
    return out


def _long_niah(recipe: str, folder: str, longest: int = 4000) -> dict[tuple[int, int], dict[str, list[float]]]:
    """Per cell up to `longest` tokens of a long-runner folder: each mode's keyword scores, own words and other
    wordings apart."""
    path = RESULTS / "long" / recipe / folder
    if not (path / "results.jsonl").is_file():
        return {}
    cells: dict[tuple[int, int], dict[str, list[float]]] = {}
    for r in read_results(path / "results.jsonl"):
        cell = (r.group["length"], int(r.group["depth"]))
        if cell[0] > longest:
            continue
        wording = r.group.get("wording", "original")
        cells.setdefault(cell, {}).setdefault(f"{r.mode} {wording}", []).append(r.scores["keywords"])
    return cells


def _pooled(cells: dict, mode: str, wording: str) -> float | None:
    """One mode's keyword score over every question of these NIAH cells, in its own words or the other ones."""
    return mean([v for c in cells.values() for v in c.get(f"{mode} {wording}", [])])


def m_goals(folders: dict[str, tuple[list[EvalRow], dict]]) -> list[str]:
    """Issue M's goals: today's default (folders *_m, long cells of recipe m) beside K's (*_k, recipe k)."""
    lines = ["| goal | M's default (today) | K's default | met |", "|---|---|---|---|"]

    def row(name: str, m: str, k: str, met: bool | None) -> None:
        lines.append(f"| {name} | {m} | {k} | {'-' if met is None else 'yes' if met else 'no'} |")

    def general(suffix: str) -> dict[str, float]:
        s = summary(folders[f"general_{suffix}"][0]) if f"general_{suffix}" in folders else {}
        return {m: 100 * (s["no_context"]["correct"] - s[m]["correct"]) for m in ("lift_only", "auto") if m in s}

    gm, gk = general("m"), general("k")
    for mode, bound in (("lift_only", 5), ("auto", 2)):
        if mode in gm:
            row(f"general answers lost, {mode} <= {bound} points", f"{gm[mode]:.1f}",
                f"{gk[mode]:.1f}" if mode in gk else "-", gm[mode] <= bound)  # fmt: skip
    sq = {x: summary(folders[f"squad_{x}"][0]) for x in ("m", "k") if f"squad_{x}" in folders}
    if "lift_only" in sq.get("m", {}) and "icl" in sq["m"]:
        m_f1, icl = sq["m"]["lift_only"]["f1"], sq["m"]["icl"]["f1"]
        k = sq.get("k", {})
        row(
            "SQuAD (the scored 200) lift_only F1 >= icl",
            f"{pct(m_f1)} vs icl {pct(icl)} ({m_f1 / icl:.2f}x)",
            f"{pct(k['lift_only']['f1'])} vs icl {pct(k['icl']['f1'])}" if "icl" in k else "-",
            m_f1 >= icl,
        )
    pm = _paraphrase_m(folders["paraphrase_m"][0]) if "paraphrase_m" in folders else {}
    pk = _paraphrase_m(folders["paraphrase_k"][0]) if "paraphrase_k" in folders else {}
    for key, name, bound in PARAPHRASE_DIRECT_GOALS:
        if pm.get(key) is not None:
            row(name, pct(pm[key]), pct(pk.get(key)), pm[key] >= bound)
    if pm.get("other") is not None:
        row(
            "paraphrase: answers naming another fact's entity <= 10 %",
            pct(pm["other"]),
            pct(pk.get("other")),
            pm["other"] <= 0.10,
        )
    for folder, name in (("niah", "NIAH 1k-4k, the five other wordings: lift_only >= icl and >= rag"),
                         ("niah_facts", "facts needle family 1k-4k, own words: lift_only 100 %")):  # fmt: skip
        m, k = _long_niah("m", folder), _long_niah("k", folder)
        if not m:
            continue
        names = ", ".join(f"{n // 1000}k@{d}" for n, d in sorted(m))

        if folder == "niah":
            got = {mode: _pooled(m, mode, "reworded") for mode in ("lift_only", "icl", "rag")}
            text = " / ".join(f"{mode} {pct(v)}" for mode, v in got.items())
            kk = {c: k[c] for c in m if c in k}
            row(
                f"{name} (cells {names})",
                text,
                f"lift_only {pct(_pooled(kk, 'lift_only', 'reworded'))}",
                got["lift_only"] is not None and got["lift_only"] >= max(got["icl"] or 0, got["rag"] or 0),
            )
        else:
            own = _pooled(m, "lift_only", "original")
            kk = {c: k[c] for c in m if c in k}
            row(f"{name} (cells {names})", pct(own), pct(_pooled(kk, "lift_only", "original")), own == 1.0)
    costs_m = [c for name, (_, docs) in folders.items() if name.endswith("_m") for c in _lift_cost(docs)]
    costs_k = [c for name, (_, docs) in folders.items() if name.endswith("_k") for c in _lift_cost(docs)]
    if costs_m:
        row(
            "cost <= 30 (training + teacher) tokens per document token",
            f"{max(costs_m):.1f} at most over {len(costs_m)} lifts (mean {sum(costs_m) / len(costs_m):.1f})",
            f"{max(costs_k):.1f} (mean {sum(costs_k) / len(costs_k):.1f})" if costs_k else "-",
            max(costs_m) <= 30,
        )
    return lines


def _rewording(rows: list[EvalRow], mode: str) -> float | None:
    return mean([r.scores["correct"] for r in rows if r.mode == mode])


def _seed_spread(name: str) -> tuple[list[float], int] | None:
    """Issue O's dev runs of one setting over its seeds (o_dev/<name>, <name with sN>): each seed's rewording
    lift_only score on the questions every seed answered, and how many those are."""
    root = RESULTS / "o_dev"
    number, rest = name.split("_", 1)
    runs = [root / name / "rewording"] + sorted(root.glob(f"{number}s[0-9]_{rest}/rewording"))
    answered = [{(r.item_id, r.doc_id): r.scores["correct"] for r in read_results(run / "results.jsonl")
                 if r.mode == "lift_only"} for run in runs if (run / "results.jsonl").is_file()]  # fmt: skip
    if len(answered) < 2:
        return None
    common = set.intersection(*(set(a) for a in answered))
    return [sum(a[q] for q in common) / len(common) for a in answered], len(common)


NIAH_1K_8K = {(1000, 50), (2000, 50), (4000, 50), (4000, 100), (8000, 0), (8000, 50), (8000, 100)}  # K's grid
O_CHOSEN = "o25_beams6_norepeat"  # the dev runs of today's default, its answers included (benchmarks/results/o_dev)


def o_goals(folders: dict[str, tuple[list[EvalRow], dict]]) -> list[str]:
    """Issue O's goals: today's default (folders *_o, long cells of recipe o) beside M's (*_m, recipe m)."""
    lines = ["| goal | O's default (today) | M's default | met |", "|---|---|---|---|"]

    def row(name: str, o: str, m: str, met: bool | None) -> None:
        lines.append(f"| {name} | {o} | {m} | {'-' if met is None else 'yes' if met else 'no'} |")

    words = {x: folders[f"rewording_{x}"][0] for x in ("o", "m") if f"rewording_{x}" in folders}
    if "o" in words:
        for mode in ("lift_only", "auto"):
            row(f"rewording test (40 facts in five wordings), {mode}", pct(_rewording(words["o"], mode)),
                pct(_rewording(words["m"], mode)) if "m" in words else "-", None)  # fmt: skip
    spread = _seed_spread(O_CHOSEN)
    if spread:
        scores, asked = spread
        gap = 100 * (max(scores) - min(scores))
        row(f"steady: rewording dev lift_only over {len(scores)} seeds varies <= 5 points ({asked} questions)",
            " / ".join(pct(v) for v in scores) + f" ({gap:.1f} apart)", "-", len(scores) >= 3 and gap <= 5)  # fmt: skip
    lifted = _long_niah("o", "niah", 32000)  # a cell still running may have answers of other modes only
    o = {c: v for c, v in lifted.items() if c[0] <= 8000 and v.get("lift_only reworded")}
    m = _long_niah("m", "niah", 8000)
    if o:
        names = ", ".join(f"{n // 1000}k@{d}" for n, d in sorted(o))
        other = _pooled(o, "lift_only", "reworded")
        mm = {c: m[c] for c in o if c in m}
        done = NIAH_1K_8K <= set(o)  # met or not only once every cell of the grid has run
        met = other is not None and other >= 0.7 if done else None
        row(f"NIAH other wordings, mean over the 1k-8k cells >= 70 % ({names})", pct(other),
            pct(_pooled(mm, "lift_only", "reworded")), met)  # fmt: skip
        beaten = [c for c, v in o.items() if mean(v["lift_only reworded"]) < max(
            mean(v.get("icl reworded", [])) or 0, mean(v.get("rag reworded", [])) or 0)]  # fmt: skip
        row("NIAH other wordings >= icl and >= rag in every 1k-8k cell",
            f"{len(o) - len(beaten)}/{len(o)} cells", "-", not beaten if done or beaten else None)  # fmt: skip
    every = {c: v for c, v in lifted.items() if v.get("lift_only original")}
    if every:
        kept = sum(mean(v.get("lift_only original", [])) == 1.0 for v in every.values())
        grid = NIAH_1K_8K | {(16000, 10), (16000, 50), (16000, 90), (32000, 50)}
        met = kept == len(every) if grid <= set(every) or kept < len(every) else None
        row("NIAH own words 100 % in every cell 1k-32k", f"{kept}/{len(every)} cells", "-", met)
    po = _paraphrase_m(folders["paraphrase_o"][0]) if "paraphrase_o" in folders else {}
    same = {r.item_id for r in folders["paraphrase_o"][0] if r.mode == "lift_only"}  # M's on the ones O answered
    pm = (
        _paraphrase_m([r for r in folders["paraphrase_m"][0] if r.item_id in same])
        if po and "paraphrase_m" in folders
        else {}
    )
    if po:  # a run still going has answered part of the split: say how much
        asked = len(same)
        total = len({r.item_id for r in folders["paraphrase_m"][0]}) if "paraphrase_m" in folders else "-"
        row(
            "paraphrase test: questions answered (M's on the same ones; of its whole split)",
            str(asked),
            f"of {total}",
            None,
        )
    for key, name, bound in PARAPHRASE_DIRECT_GOALS:
        if po.get(key) is not None:
            row(name, pct(po[key]), pct(pm.get(key)), po[key] >= bound)
    if po.get("other") is not None:
        row("paraphrase: answers naming another fact's entity <= 15 %", pct(po["other"]), pct(pm.get("other")),
            po["other"] <= 0.15)  # fmt: skip
    facts_o, facts_m = _long_niah("o", "niah_facts"), _long_niah("m", "niah_facts")
    for cell in sorted(facts_o):
        own = mean(facts_o[cell].get("lift_only original", []))
        before = mean(facts_m.get(cell, {}).get("lift_only original", []))
        row(f"facts needle family at {cell[0] // 1000}k, own words: 100 %", pct(own), pct(before), own == 1.0)
    general = {x: summary(folders[f"general_{x}"][0]) for x in ("o", "m") if f"general_{x}" in folders}
    lost = {x: {mode: 100 * (s["no_context"]["correct"] - s[mode]["correct"]) for mode in ("lift_only", "auto")
                if mode in s and "no_context" in s} for x, s in general.items()}  # fmt: skip
    for mode, bound in O_GENERAL_LOST:
        if mode in lost.get("o", {}):
            m_lost = lost.get("m", {}).get(mode)
            row(f"general answers lost, {mode} <= {bound} points", f"{lost['o'][mode]:.1f}",
                "-" if m_lost is None else f"{m_lost:.1f}", lost["o"][mode] <= bound)  # fmt: skip
    lines += _today_answering(folders, general.get("o", {}), "o_b6", "o_b6r", "with 6 beams")
    lines += _today_answering(folders, general.get("o", {}), "o_b6n", "o_b6n",
                              "with 6 beams and the novelty term (today's default)")  # fmt: skip
    return lines


def _today_answering(
    folders: dict[str, tuple[list[EvalRow], dict]], general_o: dict, suffix: str, recipe: str, label: str
) -> list[str]:
    """Issue O's goals again with a later way of answering on the same adapters: the test splits answered again
    on the *_o adapters (folders rewording_<suffix> ..., rewording_o_b6*: lifted again with the code of its day,
    rewording_o's adapters having been replaced) and recipe o's long cells (long cells of `recipe`, lift_only)."""
    out = []

    def row(name: str, value: str, met: bool | None) -> None:
        out.append(f"| {name}, answered {label} | {value} | - | {'-' if met is None else 'yes' if met else 'no'} |")

    chosen = {c: v for c, v in _long_niah(recipe, "niah", 8000).items() if v.get("lift_only reworded")}
    if chosen:
        names = ", ".join(f"{n // 1000}k@{d}" for n, d in sorted(chosen))
        other = _pooled(chosen, "lift_only", "reworded")
        met = other is not None and other >= 0.7 if NIAH_1K_8K <= set(chosen) else None
        kept = sum(mean(v.get("lift_only original", [])) == 1.0 for v in chosen.values())
        row(f"NIAH other wordings >= 70 % (recipe {recipe} on recipe o's adapters: {names}); own words",
            f"{pct(other)}; own words {kept}/{len(chosen)} cells", met)  # fmt: skip
    if f"rewording_{suffix}" in folders:
        rows = folders[f"rewording_{suffix}"][0]
        for mode in ("lift_only", "auto"):
            if any(r.mode == mode for r in rows):
                row(f"rewording test (40 facts in five wordings), {mode}", pct(_rewording(rows, mode)), None)
    if f"paraphrase_{suffix}" in folders:
        po = _paraphrase_m(folders[f"paraphrase_{suffix}"][0])
        for key, name, bound in PARAPHRASE_DIRECT_GOALS:
            if po.get(key) is not None:
                row(name, pct(po[key]), po[key] >= bound)
        if po.get("other") is not None:
            row("paraphrase: answers naming another fact's entity <= 15 %", pct(po["other"]), po["other"] <= 0.15)
    facts = _long_niah(recipe, "niah_facts")
    for cell in sorted(facts):
        own = mean(facts[cell].get("lift_only original", []))
        row(f"facts needle family at {cell[0] // 1000}k, own words: 100 %", pct(own), own == 1.0)
    if f"general_{suffix}" in folders and "no_context" in general_o:  # the base model's answers: general_o's
        s = summary(folders[f"general_{suffix}"][0])
        for mode, bound in O_GENERAL_LOST:
            if mode in s:
                drop = 100 * (general_o["no_context"]["correct"] - s[mode]["correct"])
                row(f"general answers lost, {mode} <= {bound} points", f"{drop:.1f}", drop <= bound)
    return out


def dev_table() -> list[str]:
    """The dev runs of issue K (benchmarks/results/k_dev): each lever's folder, its scores and cost."""
    root = RESULTS / "k_dev"
    if not root.is_dir():
        return []
    lines = ["| folder | suite | lift_only (names / objects; F1; keywords) | other_fact | tokens per document token |",
             "|---|---|---|---|---|"]  # fmt: skip
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if not (folder / "results.jsonl").is_file():
            continue
        rows, documents = load(folder)
        lift = [r for r in rows if r.mode == "lift_only"]
        suite = lift[0].suite if lift else "-"
        if suite == "paraphrase":
            by_family = [mean([r.scores["correct"] for r in lift if r.group.get("family", "names") == f])
                         for f in ("names", "objects")]  # fmt: skip
            score = f"{pct(mean([r.scores['correct'] for r in lift]))} ({pct(by_family[0])} / {pct(by_family[1])})"
            other = pct(mean([r.scores.get("other_fact") or 0.0 for r in lift]))
        elif suite == "squad":
            score, other = f"F1 {pct(mean([r.scores['f1'] for r in lift]))}", "-"
        else:
            own = [r.scores["keywords"] for r in lift if r.group.get("wording", "original") == "original"]
            words = [r.scores["keywords"] == 1.0 for r in lift if r.group.get("wording") == "reworded"]
            score, other = f"own words {pct(mean(own))}, other wordings {sum(words)}/{len(words)}", "-"
        lines.append(f"| [{folder.name}](k_dev/{folder.name}/report.md) | {suite} | {score} | {other} | "
                     f"{cost(documents)} |")  # fmt: skip
    return lines


def main() -> None:
    folders = {f.name: load(f) for f in sorted(RESULTS.iterdir()) if (f / "results.jsonl").is_file()}
    k_folders = {name: data for name, data in folders.items() if name.endswith("_k") or name.endswith("_k_steps")}
    lines = [
        "# Evaluation results (embedded SmolLM2-135M-Instruct, 2-core CPU)",
        "",
        "Made by `bash benchmarks/eval/run.sh` (each folder's report.md lists its exact commands, config and",
        "versions); this page by `.venv/bin/python benchmarks/eval/summarize.py`. Scores in percent.",
        "",
        "## Today's default recipe against issue O's goals, beside issue M's default",
        "",
        "Test splits, scored once. Today's default (2026-12-07, issue O: M's recipe with one other wording of "
        "every ask question, `synth.reask` 1): folders ending in `_o` and the long-document cells of recipe o "
        "(benchmarks/results/long/o), answered greedily; the answers of today's default (`infer.beams` 6, the "
        "choice among 6 beams, since 2026-12-07) are scored on the NIAH cells so far (recipe o_b6r, the same "
        "adapters). M's default beside it: folders ending in `_m` and the cells of recipe m, "
        "the same cells. A suite or cell not run yet has no row; the dev runs that chose the default: "
        "[o_dev/](o_dev/README.md). The cost on the demo essay: [o_dev/demo_cost.txt](o_dev/demo_cost.txt).",
        "",
        *o_goals(folders),
        "",
        "## Issue M's default recipe against issue M's goals, beside issue K's default",
        "",
        "Test splits. Issue M's default (2026-12-04: replay 0.5 learned by distillation): folders ending "
        "in `_m` and the long-document cells of recipe m (benchmarks/results/long/m); K's default beside it: "
        "folders ending in `_k` and the cells of recipe k, the same cells. The dev runs that chose it: "
        "[m_dev/](m_dev/README.md).",
        "",
        *m_goals(folders),
        "",
        "## Issue K's default recipe against issue K's goals",
        "",
        "Folders ending in `_k` (test splits; the default recipe of 2026-12-03). A cell still running has no row.",
        "",
        *default_goals(k_folders),
        "",
        "## Dev runs of issue K: the levers that chose it",
        "",
        "Paraphrase dev split at 600 tokens (both families, 83 questions), the dev needle (2k, depth 50, asked in "
        "its own words and 5 others) and the SQuAD dev split (60 questions). One run each; 10 points on 83 "
        "questions is within the noise of one training run.",
        "",
        *dev_table(),
        "",
        "Older runs, with the recipes of their time: [history.md](history.md) and the folders below.",
        "",
    ]
    for name, (rows, documents) in folders.items():
        info = read_run_info(RESULTS / name)
        lines += [f"## [{name}]({name}/report.md)", "", f"{len({r.item_id for r in rows})} questions, "
                  f"{len({r.doc_id for r in rows})} documents, {len(rows)} answers; training tokens per document "
                  f"token: {cost(documents)}. Commands:", ""]  # fmt: skip
        lines += [f"    {c}" for c in (info.commands if info else [])] + [""]
        lines += folder_table(rows) + [""]
    (RESULTS / "README.md").write_text("\n".join(lines), encoding="utf-8")
    print(RESULTS / "README.md")


if __name__ == "__main__":
    main()
