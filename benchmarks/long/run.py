"""Run the long-document evaluation cells (benchmarks/long/cells.yaml) until they are all finished.

    python benchmarks/long/run.py                 # run every cell not finished yet, in the file's order
    python benchmarks/long/run.py --list          # what is finished, what is left and about how long it takes
    python benchmarks/long/run.py --only niah-16k-50 --recipe k
    python benchmarks/long/run.py --start 2        # two runners in the background (two cores), on a frozen HEAD
    python benchmarks/long/run.py --stop          # the runners stop after their current cell (a clean stop)

A cell is one `lift eval` command over one document. A finished cell has a record under
benchmarks/results/long/<recipe>/<folder>/cells/<name>.json (folder: the cell's own, else its suite) with its
wall time, training and teacher tokens, peak memory, CPU flags and scores, and is skipped. A killed cell
resumes: lift eval skips the answers already written and the lift resumes from its last epoch checkpoint under
$LIFT_HOME (same machine); on another machine the cell starts again. Each finished cell is committed at once
(its results folder only), so a later session on any machine goes on where this one stopped.

One torch thread per run by default (--threads): a 2-core machine keeps its other core for other work, or runs
a second runner there. Each runner locks the results folder of the cell it runs, and the other takes the next
cell whose folder is free, so two lift evals never write one results.jsonl (LongBench has a folder per task:
two runners share it). `--code` runs the lift of another checkout (a frozen copy, so that edits here do not
change a run in progress); results and commits always go to this checkout.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from lift.eval.metrics import METRICS, bootstrap_ci

REPO = Path(__file__).resolve().parents[2]
CELLS = REPO / "benchmarks" / "long" / "cells.yaml"
RESULTS = REPO / "benchmarks" / "results" / "long"
STATUS = RESULTS / "STATUS.md"
FALLBACK_TOKENS_PER_SECOND = 170.0  # estimates before any cell finished on this machine
FALLBACK_TOKENS_PER_DOCUMENT_TOKEN = 20.0
FALLBACK_WALL_PER_LIFT = 2.0  # a cell's wall time over its lift time (answering four modes) before any finished
STOP = "stop"  # in the logs folder: `--stop` touches it
LOCK = ".runner.lock"  # in a results folder while a runner writes there (git ignores it)
POOLED_SUITES = ("loogle", "longbench")
CPU_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def load_cells(path: Path = CELLS) -> tuple[dict, list[dict], str]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    recipes = {name: list(flags or []) for name, flags in spec["recipes"].items()}
    cells = []
    for cell in spec["cells"]:
        if cell["recipe"] not in recipes:
            sys.exit(f"error: cell {cell['name']} names an unknown recipe {cell['recipe']}")
        cells.append(cell)
    seen = [(c["recipe"], c["name"]) for c in cells]
    if len(seen) != len(set(seen)):
        sys.exit("error: two cells with the same recipe and name in cells.yaml")
    return recipes, cells, spec["modes"]


def cell_dir(cell: dict) -> Path:
    return RESULTS / cell["recipe"] / cell.get("folder", cell["suite"])


def record_path(cell: dict) -> Path:
    return cell_dir(cell) / "cells" / f"{cell['name']}.json"


def finished(cell: dict) -> dict | None:
    path = record_path(cell)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


@contextlib.contextmanager
def folder_lock(cell: dict):
    """Yield whether this process holds the cell's results folder (False: another runner on this machine does).

    An advisory lock on a file the OS releases when the holder dies, so a killed runner never leaves it stale."""
    folder = cell_dir(cell)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK).open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def command(cell: dict, recipes: dict, modes: str, lift: list[str]) -> list[str]:
    # a cell of an answering setting (o_b6r) names the modes it changes; the others' answers are its recipe's
    line = [*lift, "eval", cell["suite"], "--modes", cell.get("modes", modes), "-o", str(cell_dir(cell))]
    if cell.get("doc"):
        line += ["--doc-id", str(cell["doc"])]
    for flag in [*cell.get("sets", []), *recipes[cell["recipe"]]]:
        line += ["--set", flag]
    return line


def cpu() -> dict:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "")
    return {
        "model": model or platform.processor(),
        "cores": os.cpu_count(),
        "flags": [f for f in CPU_FLAGS if f in flags],
    }


def run_cell(cell: dict, recipes: dict, modes: str, code: Path, threads: int, log_dir: Path) -> dict:
    """Run one cell to the end (resuming what an earlier run left) and return its record."""
    lift = [sys.executable, "-c", "import sys; from lift.cli import main; sys.argv[0] = 'lift'; main()"]
    line = command(cell, recipes, modes, lift)
    env = {**os.environ, "PYTHONPATH": str(code / "src"), "OMP_NUM_THREADS": str(threads)}
    if "LIFT_DATA" not in env and (REPO.parent / "shared" / "data").is_dir():  # as lift eval finds it from here
        env["LIFT_DATA"] = str(REPO.parent / "shared" / "data")
    log = log_dir / f"{cell['recipe']}-{cell['name']}.log"
    # /usr/bin/time -v gives this cell's own peak memory (the runner's children share one rusage otherwise)
    timed = ["/usr/bin/time", "-v", *line] if Path("/usr/bin/time").is_file() else line
    started = time.time()
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"\n== {datetime.now(timezone.utc).isoformat(timespec='seconds')} {' '.join(line)}\n")
        handle.flush()
        status = subprocess.run(timed, cwd=code, env=env, stdout=handle, stderr=subprocess.STDOUT).returncode
    wall = time.time() - started
    if status != 0:
        raise RuntimeError(f"cell {cell['name']} ({cell['recipe']}) failed with exit code {status}; see {log}")
    return cell_record(cell, line, wall, _peak_rss_mb(log), code, threads)


def _peak_rss_mb(log: Path) -> float | None:
    for line in reversed(log.read_text(encoding="utf-8", errors="replace").splitlines()):
        if "Maximum resident set size" in line:
            return round(int(line.rsplit(":", 1)[1]) / 1024, 1)
    return None


def cell_record(cell: dict, line: list[str], wall: float, peak_mb: float | None, code: Path, threads: int) -> dict:
    folder = cell_dir(cell)
    rows = results_rows(folder)
    documents = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    ids = {row["doc_id"] for row in rows if _in_cell(cell, row)}
    lifted = [documents[d] for d in ids if d in documents]
    doc_tokens = sum(d["tokens"] for d in lifted)
    train_tokens = sum(d.get("train_tokens") or 0 for d in lifted)
    teacher_tokens = sum(d.get("teacher_tokens") or 0 for d in lifted)
    scores = cell_scores([row for row in rows if _in_cell(cell, row)])
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=code, capture_output=True, text=True).stdout.strip()
    return {
        "name": cell["name"],
        "recipe": cell["recipe"],
        "suite": cell["suite"],
        "command": " ".join(["lift", *line[line.index("eval") :]]).replace(f"{REPO}/", ""),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code_commit": commit,
        "cpu": cpu(),
        "threads": threads,
        "wall_seconds": round(wall, 1),
        "lift_seconds": round(sum(d.get("lift_seconds") or 0 for d in lifted), 1),
        "peak_rss_mb": peak_mb,
        "document_tokens": doc_tokens,
        "train_tokens": train_tokens,
        "teacher_tokens": teacher_tokens,
        "tokens_per_document_token": round((train_tokens + teacher_tokens) / doc_tokens, 2) if doc_tokens else None,
        "train_tokens_per_second": next((d.get("train_tokens_per_second") for d in lifted), None),
        "questions": {mode: len(next(iter(values.values()))) for mode, values in scores.items()},
        "scores": percentages(scores),
    }  # fmt: skip


def results_rows(folder: Path) -> list[dict]:
    """The rows of a results folder's results.jsonl (every cell of its recipe and suite)."""
    return [json.loads(raw) for raw in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines() if raw]


def percentages(scores: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {mode: {m: round(100 * sum(v) / len(v), 1) for m, v in values.items()} for mode, values in scores.items()}


def cell_scores(rows: list[dict]) -> dict[str, dict[str, list[float]]]:
    """mode -> metric -> the cell's values; NIAH's keywords also apart for the needle's own words and the others."""
    scores: dict[str, dict[str, list[float]]] = {}
    for row in rows:
        wording = row.get("group", {}).get("wording")
        for metric, value in row["scores"].items():
            if value is None:
                continue
            names = [metric, f"{metric} {wording}"] if wording else [metric]
            for name in names:
                scores.setdefault(row["mode"], {}).setdefault(name, []).append(value)
    return scores


def _in_cell(cell: dict, row: dict) -> bool:
    """Whether a results row belongs to this cell (the folder holds every cell of its recipe and suite)."""
    if cell.get("doc"):
        return row["doc_id"].startswith(str(cell["doc"]))
    sets = dict(flag.split("=", 1) for flag in cell.get("sets", []))
    group = row.get("group", {})
    length = sets.get("eval.niah_lengths")
    depth = sets.get("eval.niah_depths")
    return (length is None or int(group.get("length", -1)) == int(length)) and (
        depth is None or float(group.get("depth", -1)) == float(depth)
    )


def write_status(recipes: dict, cells: list[dict]) -> None:
    done = [(c, r) for c in cells if (r := finished(c))]
    speed = [r["train_tokens"] / r["lift_seconds"] for _, r in done if r.get("lift_seconds")]
    # recipes differ in cost (k ~15, m ~23 tokens per document token): estimate a cell from its own recipe's cells
    by_recipe: dict[str, list[float]] = {}
    for c, r in done:
        if r.get("tokens_per_document_token"):
            by_recipe.setdefault(c["recipe"], []).append(r["tokens_per_document_token"])
    ratio = [cost for costs in by_recipe.values() for cost in costs]
    tokens_per_second = sum(speed) / len(speed) if speed else FALLBACK_TOKENS_PER_SECOND
    per_token = sum(ratio) / len(ratio) if ratio else FALLBACK_TOKENS_PER_DOCUMENT_TOKEN
    recipe_cost = {name: sum(costs) / len(costs) for name, costs in by_recipe.items()}
    lines = [
        "# Long-document cells (issue N)",
        "",
        "Written by `python benchmarks/long/run.py` after each cell; the cells are listed in",
        "[benchmarks/long/cells.yaml](../../long/cells.yaml). Scores in percent, mean over the cell's questions (NIAH:",
        "keywords found, the needle's own words / the five other wordings; LooGLE, LongBench: the suite's first",
        "metric); cost = (training + teacher tokens) per document token; peak MB = the eval process's peak resident",
        "set (answering included); each record in cells/ has the command, times and every metric.",
        "",
        f"{len(done)} of {len(cells)} cells finished.",
        "",
        "| recipe | cell | lift_only | lift_icl | icl | rag | doc tokens | cost | lift s | s/doc token | peak MB "
        "| CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for cell, record in done:
        scores = record["scores"]
        flags = "+".join(f for f in record["cpu"]["flags"] if f != "avx512f") or "-"
        lines.append(
            f"| {cell['recipe']} | {cell['name']} | "
            + " | ".join(_score(scores.get(m, {})) for m in ("lift_only", "lift_icl", "icl", "rag"))
            + f" | {record['document_tokens']} | {record['tokens_per_document_token']} | {record['lift_seconds']:.0f}"
            + f" | {record['lift_seconds'] / max(1, record['document_tokens']):.3f} | {record['peak_rss_mb']}"
            + f" | {flags}, {record['threads']} thread(s) |"
        )
    lines += pooled_lines(done)
    left = [c for c in cells if not finished(c)]
    if left:
        minutes = [_hours([c], recipe_cost.get(c["recipe"], per_token), tokens_per_second) * 60 for c in left]
        overhead = answering_overhead(done)
        walls = [m * overhead.get(c["suite"], overhead["all"]) for c, m in zip(left, minutes, strict=True)]
        lines += [
            "",
            f"Left: {len(left)} cells, about {sum(minutes) / 60:.1f} h of lifting and {sum(walls) / 60:.1f} h in "
            f"all, at {tokens_per_second:.0f} training tokens/s and, per document token, the tokens of the recipe's "
            f"finished cells ({per_token:.1f} over all of them where a recipe has none); in all = lifting x the "
            "median wall / lift time of the suite's finished cells (answering four modes comes on top of the lift):",
            "",
        ]
        lines += [
            f"- {c['recipe']} {c['name']}: ~{m:.0f} min lifting, ~{w:.0f} min in all"
            for c, m, w in zip(left, minutes, walls, strict=True)
        ]
    STATUS.parent.mkdir(parents=True, exist_ok=True)
    STATUS.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pooled_lines(done: list[tuple[dict, dict]]) -> list[str]:
    """LooGLE and LongBench pooled over each recipe's finished cells: every question's first metric, the mean
    with its 95 % bootstrap interval per mode, and issue N's two ratios (lift_icl / icl, lift_only / rag).

    One row per results folder, and one more for a suite whose cells lie in several folders (LongBench: one
    folder per task, each with its own metric), pooled over all of them."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for cell, _ in done:
        if cell["suite"] in POOLED_SUITES:
            groups.setdefault((cell["recipe"], cell.get("folder", cell["suite"])), []).append(cell)
    suites: dict[tuple[str, str], list[list[dict]]] = {}
    for (recipe, _), group in groups.items():
        suites.setdefault((recipe, group[0]["suite"]), []).append(group)
    for (recipe, suite), folders in suites.items():
        if len(folders) > 1:
            groups[(recipe, f"{suite} (all)")] = [cell for group in folders for cell in group]
    if not groups:
        return []
    lines = [
        "",
        "Pooled over the finished cells (each question's first metric; mean and 95 % bootstrap interval). echo: the",
        "question itself scored as its answer, the floor a mode must beat to show it read anything:",
        "",
        "| recipe | suite | cells | questions | lift_only | lift_icl | icl | rag | echo | lift_icl / icl "
        "| lift_only / rag |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows_of: dict[Path, list[dict]] = {}
    for (recipe, label), group in groups.items():
        values: dict[str, list[float]] = {}
        echoed: dict[tuple[str, str], float] = {}
        for cell in group:
            folder = cell_dir(cell)
            rows = rows_of.setdefault(folder, results_rows(folder))
            for row in rows:
                metric, first = next(((m, v) for m, v in row["scores"].items() if v is not None), (None, None))
                if first is not None and _in_cell(cell, row):
                    values.setdefault(row["mode"], []).append(first)
                    question = (row["doc_id"], row["item_id"])  # asked in every mode: scored once
                    if question not in echoed and "question" in row and "references" in row:
                        echoed[question] = METRICS[metric](row["question"], row["references"])
        means = {mode: sum(v) / len(v) for mode, v in values.items() if v}
        cells_text = []
        for mode in ("lift_only", "lift_icl", "icl", "rag"):
            if mode in means:
                low, high = bootstrap_ci(values[mode])
                cells_text.append(f"{100 * means[mode]:.1f} [{100 * low:.1f}, {100 * high:.1f}]")
            else:
                cells_text.append("-")
        echo = [*echoed.values()]
        cells_text.append(f"{100 * sum(echo) / len(echo):.1f}" if echo else "-")
        questions = max((len(v) for v in values.values()), default=0)
        lines.append(
            f"| {recipe} | {label} | {len(group)} | {questions} | "
            + " | ".join(cells_text)
            + f" | {_ratio(means, 'lift_icl', 'icl')} | {_ratio(means, 'lift_only', 'rag')} |"
        )
    return lines


def _ratio(means: dict[str, float], top: str, bottom: str) -> str:
    if top not in means or bottom not in means:
        return "-"
    return f"{means[top] / means[bottom]:.2f}x" if means[bottom] else "-"


def _score(scores: dict[str, float]) -> str:
    """NIAH: keywords in the needle's own words / in the other wordings; other suites: their first metric."""
    if "keywords original" in scores:
        return f"{scores['keywords original']} / {scores.get('keywords reworded', '-')}"
    return next((f"{metric} {value}" for metric, value in scores.items()), "-")


def answering_overhead(done: list[tuple[dict, dict]]) -> dict[str, float]:
    """suite -> median wall / lift seconds of its finished cells ("all": over every suite; 2.0 before any).

    Cells whose record carries a note (a run paused or resumed mid-cell) are left out: their wall time is not
    one uninterrupted run."""
    ratios: dict[str, list[float]] = {}
    for cell, record in done:
        if record.get("lift_seconds") and "note" not in record and record["wall_seconds"] >= record["lift_seconds"]:
            ratio = record["wall_seconds"] / record["lift_seconds"]
            for key in (cell["suite"], "all"):
                ratios.setdefault(key, []).append(ratio)
    medians = {key: statistics.median(values) for key, values in ratios.items()}
    medians.setdefault("all", FALLBACK_WALL_PER_LIFT)
    return medians


def _hours(cells: list[dict], per_token: float, tokens_per_second: float) -> float:
    return sum(c["tokens"] for c in cells) * per_token / tokens_per_second / 3600


def commit(paths: list[Path], message: str) -> None:
    """Commit these paths only (whatever else is staged stays staged), retrying while git is busy."""
    relative = [str(p.relative_to(REPO)) for p in paths]
    for attempt in range(30):
        added = subprocess.run(["git", "add", "--", *relative], cwd=REPO, capture_output=True, text=True)
        done = added.returncode == 0 and subprocess.run(
            ["git", "commit", "-q", "-m", message, "--", *relative], cwd=REPO, capture_output=True, text=True
        ).returncode == 0  # fmt: skip
        if done:
            return
        time.sleep(2 + attempt)
    print(f"warning: could not commit {', '.join(relative)}; commit them by hand", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="Write and print the status; run nothing.")
    parser.add_argument("--only", nargs="*", help="Run only the cells with these names.")
    parser.add_argument("--recipe", nargs="*", help="Run only the cells of these recipes.")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run (OMP_NUM_THREADS).")
    parser.add_argument("--code", type=Path, default=REPO, help="Checkout whose src/ runs the lifts.")
    parser.add_argument("--no-commit", action="store_true", help="Write the records but do not commit them.")
    parser.add_argument("--rescore", action="store_true", help="Recount the finished cells' scores from their results.")
    parser.add_argument(
        "--stop", action="store_true", help="Ask the runners running now to stop after their current cell, and exit."
    )
    parser.add_argument(
        "--start",
        type=int,
        metavar="N",
        help="Start N runners in the background (one per core) on a frozen copy of this checkout's HEAD (a git "
        "worktree in the logs folder, unless --code is given) and exit; their output goes to runner-<i>.out there.",
    )
    parser.add_argument(
        "--logs",
        type=Path,
        default=Path(os.environ.get("TMPDIR", "/tmp")) / "lift-long-logs",
        help="Folder of the cells' logs, the runners' output and the stop file.",
    )
    args = parser.parse_args()
    if args.start is not None and args.start < 1:
        parser.error("--start needs at least one runner")
    recipes, cells, modes = load_cells()
    if args.rescore:
        for cell in cells:
            if record := finished(cell):
                rows = results_rows(cell_dir(cell))
                record["scores"] = percentages(cell_scores([row for row in rows if _in_cell(cell, row)]))
                record["command"] = record["command"].replace(f"{REPO}/", "")
                record_path(cell).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    write_status(recipes, cells)
    if args.list or args.rescore:
        print(STATUS.read_text(encoding="utf-8"))
        return
    args.logs.mkdir(parents=True, exist_ok=True)
    if args.stop:
        (args.logs / STOP).touch()
        print("the runners running now stop when their current cell is finished and committed")
        return
    if args.start:
        code = args.code.resolve() if args.code.resolve() != REPO else freeze(args.logs)
        for number, line in enumerate(runner_commands(args.start, code, args), start=1):
            output = (args.logs / f"runner-{number}.out").open("a", encoding="utf-8")
            started = subprocess.Popen(line, cwd=REPO, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
            print(f"runner {number}: pid {started.pid}, output {output.name}", flush=True)
        print(f"lifts run {code}; `python benchmarks/long/run.py --list` shows progress, --stop ends them cleanly")
        return
    chosen = [c for c in cells if (not args.only or c["name"] in args.only)
              and (not args.recipe or c["recipe"] in args.recipe)]  # fmt: skip
    busy = run_cells(chosen, recipes, cells, modes, args)
    if busy:
        names = ", ".join(f"{c['recipe']} {c['name']}" for c in busy)
        print(f"left to the runner that holds their folder: {names}", flush=True)


def freeze(logs: Path) -> Path:
    """A detached git worktree of this checkout's HEAD (made once per commit), so that the lifts a runner starts
    do not change when the checkout is edited while it runs."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    frozen = logs / f"code-{head.stdout.strip()[:12]}"
    if not (frozen / "src").is_dir():
        subprocess.run(["git", "worktree", "prune"], cwd=REPO, check=True)
        subprocess.run(["git", "worktree", "add", "--detach", "--force", str(frozen), "HEAD"], cwd=REPO, check=True,
                       capture_output=True)  # fmt: skip
    return frozen


def runner_commands(count: int, code: Path, args: argparse.Namespace) -> list[list[str]]:
    """The command line of each of `count` background runners (the same selection of cells as this one)."""
    line = [sys.executable, str(Path(__file__).resolve()), "--code", str(code), "--threads", str(args.threads)]
    line += ["--logs", str(args.logs)]
    if args.only:
        line += ["--only", *args.only]
    if args.recipe:
        line += ["--recipe", *args.recipe]
    if args.no_commit:
        line.append("--no-commit")
    return [list(line) for _ in range(count)]


def run_cells(chosen: list[dict], recipes: dict, cells: list[dict], modes: str, args: argparse.Namespace) -> list[dict]:
    """Run the chosen cells not finished yet, in order, skipping those whose folder another runner holds.

    Returns the cells left unfinished because their folder was busy."""
    busy = []
    started = time.time()
    for cell in chosen:
        if finished(cell):
            continue
        if stop_requested(args.logs, started):
            print("stopping before the next cell, as `run.py --stop` asked", flush=True)
            break
        with folder_lock(cell) as held:
            if not held:
                busy.append(cell)
                continue
            if finished(cell):  # another runner finished it while this one ran an earlier cell
                continue
            print(f"== {cell['recipe']} {cell['name']} (log: {args.logs})", flush=True)
            record = run_cell(cell, recipes, modes, args.code.resolve(), args.threads, args.logs)
            path = record_path(cell)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            write_status(recipes, cells)
        print(f"   done in {record['wall_seconds'] / 60:.1f} min: {record['scores']}", flush=True)
        if not args.no_commit:
            cost = record["tokens_per_document_token"]
            message = f"N: long cell {cell['recipe']} {cell['name']} finished ({record['wall_seconds'] / 60:.0f} min, "
            commit([cell_dir(cell), STATUS], message + f"{cost} tokens per document token)")
    return [cell for cell in busy if not finished(cell)]


def stop_requested(logs: Path, since: float) -> bool:
    """Whether `run.py --stop` was called after `since` (runners started later are not stopped by it)."""
    path = logs / STOP
    return path.is_file() and path.stat().st_mtime >= since


if __name__ == "__main__":
    main()
