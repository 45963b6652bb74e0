"""Replay tasks: the base model's own greedy answers to general prompts, mixed into training so the
adapter keeps the model's general behaviour (without them a lifted adapter answered "What is the capital
of France?" with the document's content). Answers are generated once per model and cached; the embedded
model's come with the package (samples/replay_answers.json, written by scripts/bundle_replay_answers.py), so
that a first lift on a fresh machine does not wait for them."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from lift.errors import LiftError
from lift.home import EMBEDDED_MODEL
from lift.infer.generation import generate_batch
from lift.models import LoadedModel
from lift.progress import NullProgress, ProgressLike
from lift.prompting import chat_prompt_ids
from lift.synth.cache import GenerationCache, generation_key
from lift.text.truncate import whole_sentences

REPLAY_VERSION = "replay-v1"
BUNDLED_ANSWERS = "replay_answers.json"


def replay_prompts(path: str | None = None) -> list[str]:
    """The general prompts: the 48 bundled ones, or those of a file (train.replay_prompts: one per line, or a
    JSON list, or a JSON object with a "prompts" list)."""
    if not path:
        data = json.loads(resources.files("lift.samples").joinpath("replay_prompts.json").read_text("utf-8"))
        return list(data["prompts"])
    file = Path(path).expanduser()
    if not file.is_file():
        raise LiftError(f"train.replay_prompts: {file} not found")
    text = file.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = text.splitlines()
    prompts = [p.strip() for p in (data["prompts"] if isinstance(data, dict) else data) if str(p).strip()]
    if not prompts:
        raise LiftError(f"train.replay_prompts: {file} holds no prompts")
    return prompts


def replay_pairs(
    loaded: LoadedModel,
    cache: GenerationCache,
    system: str | None,
    max_new_tokens: int,
    progress: ProgressLike | None = None,
    prompts_file: str | None = None,
) -> list[tuple[str, str]]:
    """(prompt, base model answer) for every replay prompt (train.replay_prompts) with a non-empty answer."""
    prompts = replay_prompts(prompts_file)
    keys = [
        generation_key(kind=REPLAY_VERSION, model=loaded.name, prompt=p, system=system, max_new_tokens=max_new_tokens)
        for p in prompts
    ]
    found = cache.get_many(keys)
    missing = [i for i, key in enumerate(keys) if key not in found]
    if missing:  # the shipped answers first, then the model for the rest
        bundled = bundled_answers(loaded.name, system, max_new_tokens)
        shipped = {keys[i]: bundled[prompts[i]] for i in missing if prompts[i] in bundled}
        if shipped:
            cache.put_many(REPLAY_VERSION, shipped)
            found.update(shipped)
            missing = [i for i in missing if keys[i] not in found]
    if missing:
        answers = generate_replay_answers(loaded, [prompts[i] for i in missing], system, max_new_tokens, progress)
        fresh = {keys[i]: answer for i, answer in zip(missing, answers, strict=True)}
        cache.put_many(REPLAY_VERSION, fresh)
        found.update(fresh)
    pairs = [(p, whole_sentences(found[k])) for p, k in zip(prompts, keys, strict=True)]
    return [(p, a) for p, a in pairs if a]


def generate_replay_answers(
    loaded: LoadedModel,
    prompts: list[str],
    system: str | None,
    max_new_tokens: int,
    progress: ProgressLike | None = None,
) -> list[str]:
    """The base model's greedy answers to `prompts`, as generated (not yet cut back to whole sentences)."""
    task = (progress or NullProgress()).task("replay answers (base model)", total=len(prompts), unit="prompts")
    answers = generate_batch(
        loaded.model,
        loaded.tokenizer,
        [chat_prompt_ids(loaded.tokenizer, prompt, system) for prompt in prompts],
        max_new_tokens=max_new_tokens,
        batch_size=16,
        on_batch=lambda done, written: task.advance(done, tokens=written),
    )
    task.done()
    return answers


def bundled_answers(model: str, system: str | None, max_new_tokens: int) -> dict[str, str]:
    """The shipped answers (prompt -> answer) when they were made by this model with these settings, else {}."""
    if model != EMBEDDED_MODEL:
        return {}
    data = json.loads(resources.files("lift.samples").joinpath(BUNDLED_ANSWERS).read_text("utf-8"))
    made_with = (data["kind"], data["model"], data["system"], data["max_new_tokens"])
    if made_with != (REPLAY_VERSION, model, system, max_new_tokens):
        return {}
    return dict(data["answers"])
