"""Batched greedy generation from token-id prompts (left padding, stop at end of turn)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from lift.prompting import end_of_turn_id


@torch.inference_mode()
def generate_batch(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    max_new_tokens: int,
    batch_size: int = 8,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Greedy continuations of each prompt, in input order. on_batch(prompts_done, tokens_written)."""
    device = next(model.parameters()).device
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else end_of_turn_id(tokenizer)
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # similar lengths share a batch
    outputs: list[str] = [""] * len(prompts)
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        width = max(len(prompts[i]) for i in indices)
        input_ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(indices), width), dtype=torch.long)
        for row, i in enumerate(indices):
            input_ids[row, width - len(prompts[i]) :] = torch.tensor(prompts[i])
            attention_mask[row, width - len(prompts[i]) :] = 1
        generated = model.generate(
            input_ids=input_ids.to(device),
            attention_mask=attention_mask.to(device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            eos_token_id=end_of_turn_id(tokenizer),
            pad_token_id=pad_id,
        )[:, width:]
        written = 0
        for row, i in enumerate(indices):
            tokens = generated[row].tolist()
            if end_of_turn_id(tokenizer) in tokens:
                tokens = tokens[: tokens.index(end_of_turn_id(tokenizer))]
            written += len(tokens)
            outputs[i] = tokenizer.decode(tokens, skip_special_tokens=True).strip()
        if on_batch:
            on_batch(len(indices), written)
    return outputs
