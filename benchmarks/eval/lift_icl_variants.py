"""Decoding-time variants of lift_icl, on the adapters a `lift eval niah` run stored (dev needle), no training:

  poe_icl_lift_only  greedy on the mean of two log-probabilities: the base model reading the document (icl) and
                     the adapter without it (lift_only); where the needle is cut out of the window icl is unsure
                     and the adapter's memory should decide, where it is in the window icl should
  poe_icl_lift_icl   the same with the adapter reading the document too (lift_icl)
  lift_icl_scale0.5  lift_icl with every LoRA delta halved: less of the adapter's answer format, less memory

    lift eval niah --modes lift_only,lift_icl,icl -o /tmp/dev/base4k --set eval.niah_needle=dev \\
        --set eval.niah_lengths=4000 --set eval.niah_depths=50,100          # lifts and stores the adapters
    python benchmarks/eval/lift_icl_variants.py 4000 50,100 /tmp/dev/variants.jsonl

A document not lifted yet with today's defaults is lifted first. One greedy token at a time with a key/value
cache per branch (about a minute per answer and variant on one CPU thread at 4k tokens).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch

from lift.adapters import load_adapter
from lift.config import LiftConfig
from lift.eval.items import score_prediction
from lift.eval.runner import ensure_lifted
from lift.eval.suites.registry import load_suite
from lift.home import lift_home
from lift.infer.modes import build_prompt_ids
from lift.models import load_model
from lift.progress import NullProgress
from lift.prompting import end_of_turn_id


def _prefill(model, ids: list[int]):
    out = model(input_ids=torch.tensor([ids]), use_cache=True)
    return out.past_key_values, out.logits[0, -1].float().log_softmax(-1)


def _step(model, past, token: int):
    out = model(input_ids=torch.tensor([[token]]), past_key_values=past, use_cache=True)
    return out.past_key_values, out.logits[0, -1].float().log_softmax(-1)


@torch.inference_mode()
def mixed_greedy(handle, tokenizer, a: tuple[list[int], bool], b: tuple[list[int], bool], max_new: int,
                 weight: float = 0.5) -> str:  # fmt: skip
    """Greedy over weight * log p_a + (1 - weight) * log p_b; each branch is (prompt ids, adapter on). With
    weight 1 branch b is not run."""

    def run(fn: Callable, adapter_on: bool, *args):
        if adapter_on:
            return fn(handle.model, *args)
        with handle.disabled():
            return fn(handle.model, *args)

    past_a, logp_a = run(_prefill, a[1], a[0])
    both = weight != 1.0
    past_b, logp_b = run(_prefill, b[1], b[0]) if both else (None, 0.0)
    eot = end_of_turn_id(tokenizer)
    written: list[int] = []
    for _ in range(max_new):
        token = int((weight * logp_a + (1 - weight) * logp_b).argmax())
        if token == eot:
            break
        written.append(token)
        past_a, logp_a = run(_step, a[1], past_a, token)
        if both:
            past_b, logp_b = run(_step, b[1], past_b, token)
    return tokenizer.decode(written, skip_special_tokens=True).strip()


def _scale_lora(model, factor: float) -> None:
    for module in model.modules():
        if isinstance(getattr(module, "scaling", None), dict):
            for key in module.scaling:
                module.scaling[key] *= factor


VARIANTS = ("poe_icl_lift_only", "poe_icl_lift_icl", "lift_icl_scale0.5")


def variant_answer(name: str, handle, tokenizer, icl: list[int], lift_icl: list[int], lift_only: list[int],
                   max_new: int) -> str:  # fmt: skip
    if name == "poe_icl_lift_only":
        return mixed_greedy(handle, tokenizer, (icl, False), (lift_only, True), max_new)
    if name == "poe_icl_lift_icl":
        return mixed_greedy(handle, tokenizer, (icl, False), (lift_icl, True), max_new)
    _scale_lora(handle.model, 0.5)
    try:
        return mixed_greedy(handle, tokenizer, (lift_icl, True), (lift_icl, True), max_new, weight=1.0)
    finally:
        _scale_lora(handle.model, 2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lengths", help="eval.niah_lengths, e.g. 4000")
    parser.add_argument("depths", help="eval.niah_depths, e.g. 50,100")
    parser.add_argument("out", type=Path, help="results file (one JSON row per answer)")
    args = parser.parse_args()
    config = LiftConfig().with_overrides(
        {"eval.niah_needle": "dev", "eval.niah_lengths": args.lengths, "eval.niah_depths": args.depths}
    )
    loaded = load_model()
    tokenizer = loaded.tokenizer
    by_document: dict[str, list] = {}
    for item in load_suite("niah", config, tokenizer):
        by_document.setdefault(item.document.doc_id, []).append(item)
    rows = []
    for items in by_document.values():
        entry, _ = ensure_lifted(items[0].document, loaded, config, lift_home(), NullProgress(), False)
        handle = load_adapter(loaded.model, entry.adapter_dir)
        adapter_system, base_system = config.infer.system_prompt, config.infer.base_system_prompt
        for item in items:
            max_new = item.max_new_tokens or config.infer.max_new_tokens
            text, window = item.document.text, loaded.window
            icl = build_prompt_ids(tokenizer, item.question, "icl", text, window, max_new, base_system)
            lift_icl = build_prompt_ids(tokenizer, item.question, "lift_icl", text, window, max_new, adapter_system)
            lift_only = build_prompt_ids(tokenizer, item.question, "lift_only", None, window, max_new, adapter_system)
            for name in VARIANTS:
                started = time.time()
                prediction = variant_answer(name, handle, tokenizer, icl, lift_icl, lift_only, max_new)
                rows.append({"mode": name, "item_id": item.item_id, "group": item.group, "prediction": prediction,
                             "scores": score_prediction(item, prediction),
                             "seconds": round(time.time() - started, 1)})  # fmt: skip
                print(name, item.group, rows[-1]["scores"], prediction[:100], flush=True)
            args.out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        handle.unload()


if __name__ == "__main__":
    main()
