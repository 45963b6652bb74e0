"""report.md and plots from results.jsonl: a mode x metric table per suite with 95% bootstrap intervals,
breakdowns (NIAH length, LooGLE/LongBench task, paraphrase direct vs indirect and question form), NIAH depth x
length heatmaps, the forgetting figure and the faithfulness of each lifted document's synthetic QA."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from lift.eval.metrics import bootstrap_ci
from lift.eval.results import DOCUMENTS, RESULTS, EvalRow, read_results
from lift.eval.run_info import read_run_info
from lift.infer.names import MODES

BREAKDOWN = {
    "niah": ("length", "wording"),
    "paraphrase": ("family", "direct", "form"),
    "rewording": ("form", "shape", "kind"),
    "gist": ("form", "kind"),
    "loogle": ("task",),
    "longbench": ("task",),
    "general": ("document",),
}
PER_DOCUMENT = ("loogle", "longbench", "custom")  # few long documents: is lifting better on each, not on average


def _ordered_modes(rows: list[EvalRow]) -> list[str]:
    present = {r.mode for r in rows}
    return [m for m in MODES if m in present]


def _metrics(rows: list[EvalRow]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names += [k for k in row.scores if k not in names]
    return names


def _values(rows: list[EvalRow], metric: str) -> list[float]:
    return [r.scores[metric] for r in rows if r.scores.get(metric) is not None]


def _cell(values: list[float], samples: int, seed: int) -> str:
    if not values:
        return "-"
    mean = 100 * sum(values) / len(values)
    low, high = bootstrap_ci(values, samples, seed)
    return f"{mean:.1f} [{100 * low:.1f}, {100 * high:.1f}]"


def summary(rows: list[EvalRow]) -> dict[str, dict[str, float]]:
    """mode -> metric -> mean score (0-1)."""
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for mode in _ordered_modes(rows):
        mode_rows = [r for r in rows if r.mode == mode]
        for metric in _metrics(rows):
            values = _values(mode_rows, metric)
            if values:
                table[mode][metric] = sum(values) / len(values)
    return dict(table)


def mode_table(rows: list[EvalRow], samples: int = 1000, seed: int = 0) -> list[str]:
    metrics = _metrics(rows)
    lines = ["| mode | n | " + " | ".join(metrics) + " | s/answer |", "|" + "---|" * (len(metrics) + 3)]
    for mode in _ordered_modes(rows):
        mode_rows = [r for r in rows if r.mode == mode]
        seconds = sum(r.seconds for r in mode_rows) / len(mode_rows)
        cells = [_cell(_values(mode_rows, m), samples, seed) for m in metrics]
        lines.append(f"| {mode} | {len(mode_rows)} | " + " | ".join(cells) + f" | {seconds:.2f} |")
    return lines


def breakdown_table(rows: list[EvalRow], key: str, metric: str) -> list[str]:
    groups = sorted({r.group.get(key) for r in rows if key in r.group}, key=lambda g: (str(type(g)), g))
    modes = _ordered_modes(rows)
    lines = [f"| {key} | " + " | ".join(modes) + " |", "|" + "---|" * (len(modes) + 1)]
    for group in groups:
        cells = []
        for mode in modes:
            values = _values([r for r in rows if r.mode == mode and r.group.get(key) == group], metric)
            cells.append(f"{100 * sum(values) / len(values):.1f} (n={len(values)})" if values else "-")
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return lines


def document_table(rows: list[EvalRow], metric: str, titles: dict[str, str], samples: int, seed: int) -> list[str]:
    """Per document: each mode's mean with its 95 % bootstrap interval over that document's questions."""
    modes = _ordered_modes(rows)
    lines = ["| document | n | " + " | ".join(modes) + " |", "|" + "---|" * (len(modes) + 2)]
    for doc_id in dict.fromkeys(r.doc_id for r in rows):
        doc_rows = [r for r in rows if r.doc_id == doc_id]
        questions = len({r.item_id for r in doc_rows})
        cells = [_cell(_values([r for r in doc_rows if r.mode == mode], metric), samples, seed) for mode in modes]
        title = titles.get(doc_id, doc_id[:8])
        lines.append(f"| {title} | {questions} | " + " | ".join(cells) + " |")
    return lines


def niah_heatmaps(rows: list[EvalRow], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    rows = [r for r in rows if r.group.get("wording", "original") == "original"]  # the needle's own question
    lengths = sorted({r.group["length"] for r in rows})
    depths = sorted({r.group["depth"] for r in rows})
    for mode in _ordered_modes(rows):
        grid = [[float("nan")] * len(lengths) for _ in depths]
        for r in rows:
            if r.mode == mode:
                grid[depths.index(r.group["depth"])][lengths.index(r.group["length"])] = r.scores["keywords"]
        fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(lengths), 1.0 + 0.35 * len(depths)))
        image = ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(
            range(len(lengths)), [f"{length / 1000:g}k" if length >= 1000 else str(length) for length in lengths]
        )
        ax.set_yticks(range(len(depths)), [f"{d:g}%" for d in depths])
        ax.set_xlabel("haystack tokens")
        ax.set_ylabel("needle depth")
        for i in range(len(depths)):
            for j in range(len(lengths)):
                if grid[i][j] == grid[i][j]:
                    ax.text(j, i, f"{grid[i][j]:.2f}", ha="center", va="center", fontsize=8)
        ax.set_title(f"NIAH keyword score, {mode}")
        fig.colorbar(image, ax=ax, fraction=0.05)
        fig.tight_layout()
        path = out_dir / f"niah_{mode}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


def forgetting_plot(rows: list[EvalRow], out_dir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    documents = sorted({r.group["document"] for r in rows})
    labels = {
        "no_context": "before lifting (no_context)",
        "lift_only": "with the adapter (lift_only)",
        "auto": "with the question gate (auto)",
    }
    modes = [m for m in labels if any(r.mode == m for r in rows)]
    fig, ax = plt.subplots(figsize=(2 + 1.6 * len(documents), 3.2))
    width = 0.8 / max(1, len(modes))
    for k, mode in enumerate(modes):
        heights = []
        for document in documents:
            values = _values([r for r in rows if r.mode == mode and r.group["document"] == document], "correct")
            heights.append(100 * sum(values) / len(values) if values else 0)
        label = labels[mode]
        ax.bar([i + k * width for i in range(len(documents))], heights, width, label=label)
    ax.set_xticks([i + width * (len(modes) - 1) / 2 for i in range(len(documents))], [d[:28] for d in documents])
    ax.set_ylabel("general questions right (%)")
    ax.set_ylim(0, 105)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Forgetting: general accuracy before vs after lifting")
    fig.tight_layout()
    path = out_dir / "general_forgetting.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(out_dir: Path, samples: int = 1000, seed: int = 0) -> Path:
    rows = read_results(out_dir / RESULTS)
    info = read_run_info(out_dir)
    documents = json.loads((out_dir / DOCUMENTS).read_text(encoding="utf-8")) if (out_dir / DOCUMENTS).is_file() else {}
    lines = ["# LIFT evaluation report", ""]
    if info is not None:
        lines += [
            *(f"- command: `{c}`" for c in info.commands or [info.command]),
            f"- base model: {info.model}; device: {info.device}",
            *([f"- note: {info.note}"] if info.note else []),
            *([f"- git commit: {info.git_commit}"] if info.git_commit else []),
            f"- seed: {info.seed}; started: {info.started or '?'}; versions: "
            + ", ".join(f"{k} {v}" for k, v in info.versions.items()),
            "",
        ]
    lines += [
        "Scores are percentages: mean over questions, 95% percentile-bootstrap interval in brackets "
        f"({samples} resamples over questions). s/answer: generation seconds per answer (batched).",
        "",
    ]
    for suite in sorted({r.suite for r in rows}):
        suite_rows = [r for r in rows if r.suite == suite]
        documents_in_suite = len({r.doc_id for r in suite_rows})
        lines += [
            f"## {suite}",
            "",
            f"{len({r.item_id for r in suite_rows})} questions, {documents_in_suite} documents.",
            "",
        ]
        lines += mode_table(suite_rows, samples, seed) + [""]
        for key in BREAKDOWN.get(suite, ()):
            if any(key in r.group for r in suite_rows):
                metric = _metrics(suite_rows)[0]
                lines += [f"By {key} ({metric}):", ""] + breakdown_table(suite_rows, key, metric) + [""]
        if suite in PER_DOCUMENT and documents_in_suite > 1:
            metric = _metrics(suite_rows)[0]
            titles = {doc_id: d.get("title", doc_id[:8]) for doc_id, d in documents.items()}
            lines += [f"By document ({metric}, 95 % interval over its questions):", ""]
            lines += document_table(suite_rows, metric, titles, samples, seed) + [""]
        if suite == "niah":
            for path in niah_heatmaps(suite_rows, out_dir):
                lines += [f"![{path.stem}]({path.name})", ""]
        if suite == "general":
            table = summary(suite_rows)
            if "no_context" in table and "lift_only" in table:
                drop = 100 * (table["no_context"]["correct"] - table["lift_only"]["correct"])
                lines += [f"Accuracy drop after lifting: {drop:.1f} points.", ""]
            if "no_context" in table and "auto" in table:
                drop = 100 * (table["no_context"]["correct"] - table["auto"]["correct"])
                lines += [f"With the question gate (auto): {drop:.1f} points.", ""]
            lines += [f"![forgetting]({forgetting_plot(suite_rows, out_dir).name})", ""]
    if documents:
        lines += [
            "## Lifted documents",
            "",
            "Faithfulness: share of the distinct generated QA pairs whose answer's every content word is in the "
            "source sentence (strict grounding).",
            "",
            "| document | tokens | QA kept | faithfulness | lift s | train tok/s | from store |",
            "|---|---|---|---|---|---|---|",
        ]
        for doc_id, d in documents.items():
            strict = d.get("strict_grounding_rate")
            lines.append(
                f"| {d['title']} ({doc_id[:8]}) | {d['tokens']} | {d['qa_pairs_kept']}/{d['qa_pairs_parsed']} | "
                f"{'-' if strict is None else f'{100 * strict:.0f}%'} | {d['lift_seconds']:.0f} | "
                f"{d['train_tokens_per_second']:.0f} | {'yes' if d['reused_from_store'] else 'no'} |"
            )
        lines.append("")
    if info is not None and info.config:
        import yaml

        lines += ["## Config", "", "```yaml", yaml.safe_dump(info.config, sort_keys=False).strip(), "```", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
