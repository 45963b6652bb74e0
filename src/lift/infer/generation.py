"""Batched greedy generation from token-id prompts (left padding, stop at end of turn)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, StoppingCriteriaList

from lift.prompting import end_of_turn_id


@dataclass
class Continuation:
    text: str
    tokens: int  # tokens written, the end-of-turn token not counted
    finished: bool  # ended with end of turn (False: stopped by max_new_tokens or a stopping criterion)


@torch.inference_mode()
def generate_rows(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    max_new_tokens: int,
    streamer=None,
    stopping_criteria: StoppingCriteriaList | None = None,
) -> list[Continuation]:
    """Greedy continuations of prompts generated together as one left-padded batch, in input order.
    A streamer (transformers' TextIteratorStreamer) needs a single prompt."""
    device = next(model.parameters()).device
    eot = end_of_turn_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot
    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        input_ids[row, width - len(prompt) :] = torch.tensor(prompt)
        attention_mask[row, width - len(prompt) :] = 1
    generated = model.generate(
        input_ids=input_ids.to(device),
        attention_mask=attention_mask.to(device),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        temperature=None,
        top_p=None,
        top_k=None,
        eos_token_id=eot,
        pad_token_id=pad_id,
        streamer=streamer,
        stopping_criteria=stopping_criteria,
    )[:, width:]
    results = []
    for row in generated.tolist():
        finished = eot in row
        tokens = row[: row.index(eot)] if finished else row
        results.append(Continuation(tokenizer.decode(tokens, skip_special_tokens=True).strip(), len(tokens), finished))
    return results


def generate_batch(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    max_new_tokens: int,
    batch_size: int = 8,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Greedy continuations of each prompt, in input order. on_batch(prompts_done, tokens_written)."""
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # similar lengths share a batch
    outputs: list[str] = [""] * len(prompts)
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        continuations = generate_rows(model, tokenizer, [prompts[i] for i in indices], max_new_tokens)
        for i, continuation in zip(indices, continuations, strict=True):
            outputs[i] = continuation.text
        if on_batch:
            on_batch(len(indices), sum(c.tokens for c in continuations))
    return outputs
