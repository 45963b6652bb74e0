"""What infer.beams costs an answer: `lift ask`'s lift_only answer (answer_question) with the greedy decoder and
with N beams and the choice, asked in turns on one stored adapter, so that both see the same machine load.

    .venv/bin/python benchmarks/perf/beams_latency.py DOC_ID [--beams 6] [--questions 12]

DOC_ID: a document lifted in $LIFT_HOME (a rewording dev haystack, whose questions are asked; any other document
is asked the rewording dev questions of haystack r01). Prints one line per setting and appends it to
benchmarks/results/perf/beams_latency.md with the CPU flags.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from lift.adapters import load_adapter
from lift.bench.machine import cpu_flags
from lift.config import LiftConfig
from lift.eval.data_dir import resolve_data_dir
from lift.eval.suites.rewording import rewording_items
from lift.home import lift_home
from lift.infer import answer_question
from lift.models import load_model
from lift.store import Store

OUT = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "perf" / "beams_latency.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("doc_id")
    parser.add_argument("--beams", type=int, default=6)
    parser.add_argument("--questions", type=int, default=12)
    args = parser.parse_args()
    entry = Store(lift_home()).resolve(args.doc_id)
    loaded = load_model(None, "cpu")
    items = rewording_items(resolve_data_dir(None), loaded.tokenizer, "dev")
    asked = [i.question for i in items if i.document.doc_id == entry.doc_id]
    asked = (asked or [i.question for i in items if i.group["haystack"] == "r01"])[: args.questions]
    infer = LiftConfig().infer
    adapter = load_adapter(loaded.model, entry.adapter_dir)
    seconds: dict[int, list[float]] = {1: [], args.beams: []}
    try:
        kwargs = {"window": loaded.window, "max_new_tokens": infer.max_new_tokens, "system": infer.system_prompt}
        answer_question(adapter, loaded.tokenizer, asked[0], "lift_only", beams=args.beams, **kwargs)  # warm-up
        for question in asked:
            for beams in seconds:
                started = time.perf_counter()
                answer_question(adapter, loaded.tokenizer, question, "lift_only", beams=beams, **kwargs)
                seconds[beams].append(time.perf_counter() - started)
    finally:
        adapter.unload()
    greedy = statistics.median(seconds[1])
    lines = [
        f"- {time.strftime('%Y-%m-%d')}, {cpu_flags()}, document {entry.doc_id}, {len(asked)} questions: median "
        f"seconds per lift_only answer, greedy {greedy:.2f}, {args.beams} beams + choice "
        f"{statistics.median(seconds[args.beams]):.2f} ({statistics.median(seconds[args.beams]) / greedy:.2f}x)"
    ]
    print(lines[0])
    if not OUT.exists():
        OUT.write_text("# Answer time with infer.beams (benchmarks/perf/beams_latency.py)\n\n", encoding="utf-8")
    with OUT.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
