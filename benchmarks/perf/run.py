"""Efficiency benchmarks on the embedded model: throughput (share of peak), scaling (lift time per input
token), lift_vs_icl (answer latency and memory, break-even). Quick by default (`make bench`); --full for the
whole grid. Results: benchmarks/results/perf/{README.md, throughput.csv, scaling.csv, lift_vs_icl.csv, *.png}.

    .venv/bin/python benchmarks/perf/run.py [--full] [--only throughput,scaling,lift_vs_icl]

Each part writes its CSV as it finishes; README.md is rebuilt from whatever CSVs exist.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "perf"
QUICK = {"scaling_template": [1000, 2000, 4000], "scaling_local": [1000], "icl": [1000, 4000, 8000]}
FULL = {
    "scaling_template": [1000, 2000, 4000, 8000, 16000, 32000],
    "scaling_local": [1000, 2000, 4000],
    "icl": [1000, 2000, 4000, 8000],
}
ANSWER_TOKENS = 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="The complete grid (hours on this CPU).")
    parser.add_argument("--only", default="throughput,scaling,lift_vs_icl")
    parser.add_argument("--template-lengths", help="Override the grid: scaling lengths, template generator.")
    parser.add_argument("--local-lengths", help="Override the grid: scaling lengths, local generator.")
    parser.add_argument("--icl-lengths", help="Override the grid: lift_vs_icl document lengths.")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--answer", nargs=2, metavar=("MODE", "LENGTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.answer:  # child process of lift_vs_icl: one measurement, peak memory of its own
        print(json.dumps(_answer_once(args.answer[0], int(args.answer[1]), args.data_dir)))
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid = dict(FULL if args.full else QUICK)
    for key, given in (("scaling_template", args.template_lengths), ("scaling_local", args.local_lengths),
                       ("icl", args.icl_lengths)):  # fmt: skip
        if given is not None:
            grid[key] = [int(x) for x in given.split(",") if x]
    parts = args.only.split(",")
    command = ".venv/bin/python benchmarks/perf/run.py " + " ".join(sys.argv[1:])
    if command.strip() == ".venv/bin/python benchmarks/perf/run.py":
        command = "make bench"
    if "throughput" in parts:
        _write(out / "throughput.csv", throughput())
    if "scaling" in parts:
        _write(out / "scaling.csv", scaling(grid, args.data_dir))
    if "lift_vs_icl" in parts:
        _write(out / "lift_vs_icl.csv", lift_vs_icl(grid, args.data_dir))
    report(out, command)


# ---------------------------------------------------------------- throughput


def throughput() -> list[dict]:
    import torch

    from lift.adapters import attach_adapter
    from lift.bench.flops import matmul_peak, model_shape, training_flops
    from lift.config import LiftConfig
    from lift.data.sources import TrainingData
    from lift.train import train_adapter

    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    print(f"matmul peak: fp32 {peaks['fp32'] / 1e9:.0f} GFLOP/s, bf16 {peaks['bf16'] / 1e9:.0f} GFLOP/s", flush=True)
    loaded, examples = _demo_examples()
    config = LiftConfig()
    variants = {  # name: precision, train overrides, lean casts, epochs per run
        "fp32 plain (masked attention)": ("fp32", {"packed_attention": False}, False, 4),
        "bf16 default, 4 epochs (loss curve)": ("bf16", {}, True, 4),
        "bf16 autocast only (masked attention, casts)": ("bf16", {"packed_attention": False}, False, 1),
        "bf16 default (packed attention, lean casts)": ("bf16", {}, True, 1),
        "bf16 compiled, first run (compile included)": ("bf16", {"compile": True}, True, 1),
        "bf16 compiled, warm": ("bf16", {"compile": True}, True, 1),
    }
    names = list(variants)
    # The one-epoch variants run twice, interleaved, and keep their faster run: this machine's speed drifts by
    # +-10 % over minutes, more than some of the differences measured here.
    schedule = names[:2] + names[2:] + [names[2], names[3], names[5]]
    best: dict[str, dict] = {}
    for name in schedule:
        precision, overrides, lean, epochs = variants[name]
        torch.manual_seed(0)
        adapter = attach_adapter(loaded.model, config.adapter, config.lora)
        shape = model_shape(adapter.model)
        train = dataclasses.replace(config.train, precision=precision, epochs=epochs, **overrides)
        result = train_adapter(adapter, TrainingData.of(examples), train, lr=1e-3, lean_casts=lean)
        adapter.unload()
        flops = training_flops(shape, examples) * epochs
        achieved = flops / result.seconds
        row = {
            "variant": name, "precision": precision, "epochs": epochs, "runs": schedule.count(name),
            "tokens": result.tokens, "seconds": round(result.seconds, 1),
            "tokens_per_s": round(result.tokens_per_second, 1),
            "gflop": round(flops / 1e9, 1), "gflop_per_s": round(achieved / 1e9, 1),
            "share_of_bf16_peak": round(achieved / peaks["bf16"], 3),
            "share_of_own_peak": round(achieved / peaks[precision], 3),
            "peak_fp32_gflops": round(peaks["fp32"] / 1e9), "peak_bf16_gflops": round(peaks["bf16"] / 1e9),
            "loss_per_epoch": " ".join(f"{x:.4f}" for x in result.loss_per_epoch),
        }  # fmt: skip
        print(row, flush=True)
        if name not in best or row["seconds"] < best[name]["seconds"]:
            best[name] = row
    return [best[name] for name in names]


def _demo_examples():
    """The demo essay's template QA examples (no generation model needed, the same for every variant)."""
    from importlib import resources

    from lift.config import LiftConfig
    from lift.data.tasks import ExampleMaker
    from lift.models import load_model
    from lift.synth.cache import GenerationCache
    from lift.synth.generators import make_generator
    from lift.testing.synthesis import synthesize_qa
    from lift.text import split_sentences

    loaded = load_model(None, "cpu")
    config = LiftConfig().with_overrides({"synth.generator": "template"})
    text = resources.files("lift.samples").joinpath("needle_essay.txt").read_text("utf-8")
    with tempfile.TemporaryDirectory() as tmp, GenerationCache(Path(tmp) / "cache.sqlite") as cache:
        generator = make_generator(config.synth, loaded)
        pairs = synthesize_qa("bench", split_sentences(text), generator, cache, config.synth).pairs
    maker = ExampleMaker(loaded.tokenizer, config, [], loaded.window)
    return loaded, [example for _, example in maker.stream(pairs)]


# ---------------------------------------------------------------- scaling


def scaling(grid: dict, data_dir: str | None) -> list[dict]:
    from lift.config import LiftConfig
    from lift.models import lift_home, load_model
    from lift.recipe import lift_document
    from lift.synth.cache import GenerationCache
    from lift.synth.replay import replay_pairs
    from lift.text.documents import document_from_text

    loaded = load_model(None, "cpu")
    lengths = sorted(set(grid["scaling_template"]) | set(grid["scaling_local"]))
    haystacks = _haystacks(loaded.tokenizer, lengths, data_dir)
    base = LiftConfig().with_overrides({"train.epochs": 1, "model.device": "cpu"})
    # The base model's replay answers do not depend on the document: made once per base model and cached,
    # so they are made here once and every fresh home starts with them (as after a first `lift` run).
    warm = Path(tempfile.mkdtemp(prefix="lift-bench-replay-"))
    started = time.perf_counter()
    with GenerationCache(warm / "cache.sqlite") as cache:
        replay_pairs(loaded, cache, base.infer.system_prompt, base.train.replay_max_tokens)
    replay_once_s = round(time.perf_counter() - started, 1)
    rows = []
    plan = [("template", n) for n in grid["scaling_template"]] + [("local", n) for n in grid["scaling_local"]]
    for generator, length in plan:
        home = Path(tempfile.mkdtemp(prefix="lift-bench-"))
        (home / "models").symlink_to(lift_home() / "models", target_is_directory=True)
        shutil.copy(warm / "cache.sqlite", home / "cache.sqlite")
        config = base.with_overrides({"synth.generator": generator})
        document = document_from_text(haystacks[length], title=f"haystack-{length}")
        manifest = lift_document(document, loaded, config, home=home).manifest
        shutil.rmtree(home, ignore_errors=True)
        timings = manifest.timings_s
        row = {
            "generator": generator, "length": length, "tokens": manifest.tokens, "sentences": manifest.sentences,
            "epochs": 1, "total_s": timings["total"], "replay_s": timings.get("replay", 0.0),
            "generate_s": timings["generate"], "train_s": timings["train"],
            "trainer_wait_s": timings.get("trainer_wait", 0.0),
            "train_tokens": manifest.training.tokens,
            "train_tok_per_s": manifest.training.tokens_per_second,
            "ms_per_input_token": round(1000 * timings["total"] / manifest.tokens, 2),
            "replay_once_s": replay_once_s,
        }  # fmt: skip
        print(row, flush=True)
        rows.append(row)
    shutil.rmtree(warm, ignore_errors=True)
    return rows


def _haystacks(tokenizer, lengths: list[int], data_dir: str | None) -> dict[int, str]:
    """NIAH haystacks (Paul Graham essays, needle at 50 %) of each length in tokens."""
    from lift.eval.data_dir import resolve_data_dir, suite_dir
    from lift.eval.suites.niah import build_haystack, load_essays

    essays = load_essays(suite_dir(resolve_data_dir(data_dir), "niah") / "PaulGrahamEssays")
    return {n: build_haystack(essays, tokenizer, n, 50.0).text for n in lengths}


# ---------------------------------------------------------------- lift_vs_icl


def lift_vs_icl(grid: dict, data_dir: str | None) -> list[dict]:
    rows = []
    for mode, lengths in (("lift_only", [0]), ("icl", grid["icl"])):
        for length in lengths:
            command = [sys.executable, __file__, "--answer", mode, str(length)]
            if data_dir:
                command += ["--data-dir", data_dir]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(row, flush=True)
            rows.append(row)
    return rows


def _answer_once(mode: str, length: int, data_dir: str | None) -> dict:
    """Latency of one greedy answer of exactly ANSWER_TOKENS tokens (best of 3), and this process's peak
    resident memory above what it held with the model loaded. lift_only runs with a LoRA attached (unmerged,
    as `lift ask` runs it): its latency does not depend on what the adapter learned."""
    import torch

    from lift.adapters import attach_adapter
    from lift.config import LiftConfig
    from lift.infer import build_prompt_ids
    from lift.models import load_model

    torch.set_grad_enabled(False)
    loaded = load_model(None, "cpu")
    config = LiftConfig()
    question = "What is the best thing to do in San Francisco?"
    document = _haystacks(loaded.tokenizer, [length], data_dir)[length] if mode == "icl" else None
    model = loaded.model
    if mode == "lift_only":
        model = attach_adapter(loaded.model, config.adapter, config.lora).model
    model.eval()
    prompt = build_prompt_ids(
        loaded.tokenizer, question, mode, document, loaded.window, ANSWER_TOKENS, config.infer.system_prompt
    )
    ids = torch.tensor([prompt])
    warm = ids[:, -8:]  # first-call allocations (thread pools, kernels) are not the answer's memory
    model.generate(input_ids=warm, attention_mask=torch.ones_like(warm), max_new_tokens=2, do_sample=False,
                   pad_token_id=loaded.tokenizer.eos_token_id)  # fmt: skip
    before = _resident_bytes()
    sampler = _PeakResident()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        model.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=ANSWER_TOKENS,
            min_new_tokens=ANSWER_TOKENS, do_sample=False, pad_token_id=loaded.tokenizer.eos_token_id,
        )  # fmt: skip
        best = min(best, time.perf_counter() - started)
    peak = sampler.stop()
    return {
        "mode": mode, "length": length, "prompt_tokens": len(prompt), "answer_tokens": ANSWER_TOKENS,
        "latency_s": round(best, 3), "peak_extra_mib": round(max(0, peak - before) / 2**20, 1),
    }  # fmt: skip


def _resident_bytes() -> int:
    """This process's resident memory now (Linux /proc)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakResident:
    """Samples resident memory every 5 ms in a thread: the peak of the work in between (ru_maxrss cannot be
    reset, and loading the model peaks higher than answering does)."""

    def __init__(self) -> None:
        self.peak = _resident_bytes()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.005):
            self.peak = max(self.peak, _resident_bytes())

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return max(self.peak, _resident_bytes())


# ---------------------------------------------------------------- report


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


def report(out: Path, command: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = [
        "# Efficiency (embedded SmolLM2-135M-Instruct, 2-core CPU)",
        "",
        f"Made by `{command}` (`benchmarks/perf/run.py`); the FLOP formula is in `src/lift/bench/flops.py`.",
        "",
    ]
    thr = _read(out / "throughput.csv")
    if thr:
        lines += [
            "## throughput",
            "",
            f"Matmul peak measured in the same run (2048x2048): fp32 {thr[0]['peak_fp32_gflops']} GFLOP/s, "
            f"bf16 {thr[0]['peak_bf16_gflops']} GFLOP/s. Training data: the demo essay's template QA examples "
            "(LoRA r=8 on every linear layer, 384-token packed rows).",
            "",
            "One-epoch variants ran twice, interleaved with the others, and the faster run is shown (runs = 2).",
            "",
            "| variant | epochs | runs | tokens/s | GFLOP/s | share of bf16 peak | loss per epoch |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['variant']} | {r['epochs']} | {r.get('runs', 1)} | {r['tokens_per_s']} | {r['gflop_per_s']} | "
            f"{100 * float(r['share_of_bf16_peak']):.1f} % | {r['loss_per_epoch']} |"
            for r in thr
        ]
        curves = {r["precision"]: [float(x) for x in r["loss_per_epoch"].split()] for r in thr if r["epochs"] == "4"}
        if len(curves) == 2:
            figure, axis = plt.subplots(figsize=(5, 3.2))
            for precision, losses in curves.items():
                axis.plot(range(1, len(losses) + 1), losses, marker="o", label=precision)
            axis.set(xlabel="epoch", ylabel="mean training loss", title="bf16 vs fp32 training loss (demo essay)")
            axis.legend()
            figure.tight_layout()
            figure.savefig(out / "loss_bf16_vs_fp32.png", dpi=120)
            plt.close(figure)
            lines += ["", "![bf16 vs fp32 loss](loss_bf16_vs_fp32.png)"]
        lines.append("")
    sca = _read(out / "scaling.csv")
    if sca:
        lines += [
            "## scaling",
            "",
            "Time to lift a haystack (Paul Graham essays, 1 epoch, pipeline on), split by stage.",
            "",
            "| generator | tokens | total s | generate s | train s | trainer wait s | train tok/s "
            "| ms per input token |",
            "|---|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['generator']} | {r['tokens']} | {r['total_s']} | {r['generate_s']} | {r['train_s']} | "
            f"{r['trainer_wait_s']} | {r['train_tok_per_s']} | {r['ms_per_input_token']} |"
            for r in sca
        ]
        lines.append(
            f"\nEvery run starts from a fresh LIFT_HOME holding only the base model's replay answers, which do "
            f"not depend on the document and are made once per base model ({sca[0]['replay_once_s']} s here)."
        )
        figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
        for generator in sorted({r["generator"] for r in sca}):
            mine = [r for r in sca if r["generator"] == generator]
            per = [float(r["ms_per_input_token"]) for r in mine]
            mean = sum(per) / len(per)
            if len(per) > 1:
                spread = 100 * max(abs(p - mean) / mean for p in per)
                lines.append(
                    f"\n{generator}: ms per input token within {spread:.0f} % of its mean {mean:.1f} "
                    "(goal: flat within 20 %)."
                )
            else:
                lines.append(f"\n{generator}: one length only ({mean:.1f} ms per input token), no flatness claim.")
            tokens = [int(r["tokens"]) for r in mine]
            left.plot(tokens, [float(r["total_s"]) for r in mine], marker="o", label=generator)
            right.plot(tokens, per, marker="o", label=generator)
        left.set(xlabel="document tokens", ylabel="seconds", title="time to lift (1 epoch)", xscale="log", yscale="log")
        right.set(xlabel="document tokens", ylabel="ms per input token", title="time per input token", xscale="log")
        right.set_ylim(bottom=0)
        left.legend()
        figure.tight_layout()
        figure.savefig(out / "scaling.png", dpi=120)
        plt.close(figure)
        lines += ["", "![scaling](scaling.png)", ""]
    icl = _read(out / "lift_vs_icl.csv")
    if icl:
        lift = next(r for r in icl if r["mode"] == "lift_only")
        lines += [
            "## lift_vs_icl",
            "",
            f"One greedy answer of exactly {ANSWER_TOKENS} tokens, best of 3, each mode in its own process "
            "(peak extra memory = the most resident memory, sampled every 5 ms while answering, above what the process "
            "held with the model loaded). "
            "lift_only reads only the question; icl reads the haystack and the question.",
            "",
            "| mode | document tokens | prompt tokens | latency s | lift_only / icl | peak extra MiB |",
            "|---|---|---|---|---|---|",
        ]
        for r in icl:
            ratio = float(lift["latency_s"]) / float(r["latency_s"])
            lines.append(
                f"| {r['mode']} | {r['length']} | {r['prompt_tokens']} | {r['latency_s']} | {ratio:.2f} | "
                f"{r['peak_extra_mib']} |"
            )
        longest = max((r for r in icl if r["mode"] == "icl"), key=lambda r: int(r["length"]), default=None)
        if longest is not None:
            ratio = float(lift["latency_s"]) / float(longest["latency_s"])
            lines.append(
                f"\nAt {longest['length']} document tokens ({longest['prompt_tokens']} prompt tokens, the window "
                f"less the answer) lift_only answers in {ratio:.2f}x icl's time (goal: at most 0.3x at the full "
                "8k window)."
            )
        template = {int(r["length"]): r for r in sca if r["generator"] == "template"}
        breakeven = []
        for r in icl:
            n = int(r["length"])
            saved = float(r["latency_s"]) - float(lift["latency_s"])
            if n in template and saved > 0:
                # the lift's one-off cost at the default 4 epochs: generation once + 4 x the measured epoch
                cost = float(template[n]["total_s"]) + 3 * float(template[n]["train_s"])
                breakeven.append((n, cost, saved, cost / saved))
        if breakeven:
            lines += [
                "",
                "Break-even: questions after which lifting once (template generator, default 4 epochs = the "
                "measured 1-epoch lift + 3 more epochs of its measured training time) costs less than "
                "answering each question with the document in context.",
                "",
                f"| document tokens | lift cost s | saved per question s | break-even questions "
                f"| break-even output tokens ({ANSWER_TOKENS} per answer) |",
                "|---|---|---|---|---|",
            ]
            lines += [f"| {n} | {c:.0f} | {s:.2f} | {q:.0f} | {q * ANSWER_TOKENS:.0f} |" for n, c, s, q in breakeven]
            figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
            xs = [int(r["length"]) for r in icl if r["mode"] == "icl"]
            left.plot(xs, [float(r["latency_s"]) for r in icl if r["mode"] == "icl"], marker="o", label="icl")
            left.axhline(float(lift["latency_s"]), color="C1", label="lift_only")
            left.set(xlabel="document tokens", ylabel="answer latency s", title="answer latency")
            left.legend()
            right.plot([b[0] for b in breakeven], [b[3] for b in breakeven], marker="o")
            right.set(xlabel="document tokens", ylabel="questions", title="break-even questions (lift vs icl)")
            figure.tight_layout()
            figure.savefig(out / "lift_vs_icl.png", dpi=120)
            plt.close(figure)
            lines += ["", "![lift vs icl](lift_vs_icl.png)"]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
