"""Greedy generation from token-id prompts (stop at end of turn): left-padded batches, or prompts that share a
long prefix (a document asked several questions), the prefix read once into a key/value cache and each batch
of tails read after it."""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase, StoppingCriteriaList

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
    input_ids, attention_mask = left_padded(prompts, pad_id)
    generated = _greedy(
        model, input_ids.to(device), attention_mask.to(device), max_new_tokens, eot, pad_id,
        streamer=streamer, stopping_criteria=stopping_criteria,
    )  # fmt: skip
    return [to_continuation(tokenizer, row, eot) for row in generated]


def left_padded(prompts: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The prompts as one batch padded on the left (input ids, attention mask)."""
    width = max(len(p) for p in prompts)
    input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        input_ids[row, width - len(prompt) :] = torch.tensor(prompt)
        attention_mask[row, width - len(prompt) :] = 1
    return input_ids, attention_mask


def generate_batch(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    max_new_tokens: int,
    batch_size: int = 8,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Greedy continuations of each prompt, in input order. on_batch(prompts_done, tokens_written)."""
    return in_length_batches(
        prompts, batch_size,
        lambda indices: generate_rows(model, tokenizer, [prompts[i] for i in indices], max_new_tokens), on_batch,
    )  # fmt: skip


def in_length_batches(
    prompts: list[list[int]],
    batch_size: int,
    rows: Callable[[list[int]], list[Continuation]],
    on_batch: Callable[[int, int], None] | None = None,
) -> list[str]:
    """The texts rows(indices) writes for the prompts, taken by their indices in batches of similar length (so
    that little padding is read), in input order. on_batch(prompts_done, tokens_written)."""
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    outputs: list[str] = [""] * len(prompts)
    for start in range(0, len(order), batch_size):
        indices = order[start : start + batch_size]
        continuations = rows(indices)
        for i, continuation in zip(indices, continuations, strict=True):
            outputs[i] = continuation.text
        if on_batch:
            on_batch(len(indices), sum(c.tokens for c in continuations))
    return outputs


def shared_prefix_length(prompts: list[list[int]]) -> int:
    """Tokens at the start of every prompt, short of the shortest prompt (generation needs one token to read)."""
    if not prompts:
        return 0
    shortest = min(len(p) for p in prompts)
    length = 0
    while length < shortest - 1 and all(p[length] == prompts[0][length] for p in prompts):
        length += 1
    return length


@torch.inference_mode()
def generate_after_prefix(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    max_new_tokens: int,
    prefix_length: int,
    batch_size: int = 8,
    read_prefix: Callable[[], contextlib.AbstractContextManager] | None = None,
) -> Iterator[list[Continuation]]:
    """Greedy continuations of prompts whose first prefix_length tokens are the same, in input order, one list per
    batch: the prefix is read once into a key/value cache, and each batch of prompts reads only its own tails
    on copies of it.

    A batch is prefix + padding + tail per row, the padding masked (positions come from the mask, so a tail
    sits right after the prefix as in its own prompt): decoding reads the weights once per step for the whole
    batch. The same tokens as generate_rows in exact arithmetic (a causal model's prefix states do not depend on
    what follows); in float arithmetic they can differ where two tokens are nearly tied. `read_prefix`: a context
    the prefix is read in (an adapter's `disabled`: a frozen reading, the base model's, continued with the
    adapter on)."""
    eot = end_of_turn_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot

    name = cache_argument(model)

    def write(ids: torch.Tensor, mask: torch.Tensor, cache: DynamicCache) -> list[Continuation]:
        if len(ids) > 1:
            cache.batch_repeat_interleave(len(ids))
        written = _greedy(model, ids, mask, max_new_tokens, eot, pad_id, **{name: cache})
        return [to_continuation(tokenizer, row, eot) for row in written]

    yield from after_prefix(model, tokenizer, prompts, prefix_length, write, batch_size, read_prefix)


@torch.inference_mode()
def after_prefix(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[list[int]],
    prefix_length: int,
    write: Callable[[torch.Tensor, torch.Tensor, DynamicCache], list],
    batch_size: int = 8,
    read_prefix: Callable[[], contextlib.AbstractContextManager] | None = None,
) -> Iterator[list]:
    """generate_after_prefix's loop for any decoding: the shared prefix read once, then for each batch
    `write(input_ids, attention_mask, cache)` with the batch's padded rows and a fresh copy of the one-row prefix
    cache (`write` repeats it to the rows its decoding runs and passes it by cache_argument's keyword), returning
    one result per row."""
    if not 0 < prefix_length <= shared_prefix_length(prompts):
        raise ValueError(f"the prompts do not share {prefix_length} leading tokens, or leave no token to read")
    device = next(model.parameters()).device
    eot = end_of_turn_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot
    prefix = prompts[0][:prefix_length]
    cache = DynamicCache()
    name = cache_argument(model)
    with read_prefix() if read_prefix else contextlib.nullcontext():
        model(input_ids=torch.tensor([prefix], device=device), use_cache=True, **{name: cache})
    for start in range(0, len(prompts), batch_size):
        tails = [p[prefix_length:] for p in prompts[start : start + batch_size]]
        width = max(len(t) for t in tails)
        ids = torch.tensor([prefix + [pad_id] * (width - len(t)) + t for t in tails], device=device)
        mask = torch.tensor([[1] * prefix_length + [0] * (width - len(t)) + [1] * len(t) for t in tails], device=device)
        yield write(ids, mask, copy.deepcopy(cache))


@torch.inference_mode()
def read_into_cache(model: PreTrainedModel, prefix: list[int]) -> DynamicCache:
    """A prompt's first tokens read into a key/value cache (for generate_after_reading; read it under an adapter's
    `disabled` for a frozen reading)."""
    cache = DynamicCache()
    device = next(model.parameters()).device
    model(input_ids=torch.tensor([prefix], device=device), use_cache=True, **{cache_argument(model): cache})
    return cache


@torch.inference_mode()
def generate_after_reading(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompt: list[int],
    reading: DynamicCache,
    max_new_tokens: int,
    streamer=None,
    stopping_criteria: StoppingCriteriaList | None = None,
) -> Continuation:
    """The greedy continuation of one prompt whose first tokens are already in `reading` (read_into_cache),
    which is left as it was (the continuation writes into a copy): the same reading serves the next question."""
    device = next(model.parameters()).device
    eot = end_of_turn_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eot
    ids = torch.tensor([prompt], device=device)
    mask = torch.ones_like(ids)
    cache = {cache_argument(model): copy.deepcopy(reading)}
    written = _greedy(model, ids, mask, max_new_tokens, eot, pad_id, streamer=streamer,
                      stopping_criteria=stopping_criteria, **cache)  # fmt: skip
    return to_continuation(tokenizer, written[0], eot)


def _greedy(model: PreTrainedModel, input_ids, attention_mask, max_new_tokens: int, eot: int, pad_id: int, **extra):
    """The token ids each row wrote after its prompt (greedy, stopping at end of turn)."""
    generated = model.generate(
        input_ids=input_ids,
        attention_mask=attention_mask,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        temperature=None,
        top_p=None,
        top_k=None,
        eos_token_id=eot,
        pad_token_id=pad_id,
        **extra,
    )
    return generated[:, input_ids.shape[1] :].tolist()


def to_continuation(tokenizer: PreTrainedTokenizerBase, written: list[int], eot: int) -> Continuation:
    finished = eot in written
    tokens = written[: written.index(eot)] if finished else written
    return Continuation(tokenizer.decode(tokens, skip_special_tokens=True).strip(), len(tokens), finished)


def cache_argument(model: PreTrainedModel) -> str:
    """The keyword a model's forward takes its key/value cache by: `cache` in newer transformers 5 releases,
    `past_key_values` before (and deprecated since)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"
