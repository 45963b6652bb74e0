"""Replay answers: generated once per model and cached; the embedded model's ship with the package."""

import dataclasses

import pytest

import lift.synth.replay as replay
from lift.config import LiftConfig
from lift.errors import LiftError
from lift.home import EMBEDDED_MODEL
from lift.synth.cache import GenerationCache


def _defaults() -> tuple[str, int]:
    config = LiftConfig()
    return config.infer.base_system_prompt, config.train.replay_max_tokens


def test_the_bundled_answers_cover_every_prompt_with_todays_default_settings():
    """Fails when the prompts, the defaults or REPLAY_VERSION change: run scripts/bundle_replay_answers.py."""
    system, max_new_tokens = _defaults()
    bundled = replay.bundled_answers(EMBEDDED_MODEL, system, max_new_tokens)
    assert set(bundled) == set(replay.replay_prompts())
    assert all(answer.strip() for answer in bundled.values())


@pytest.fixture()
def generated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Stands in for the model: counts the prompts generated for and answers each with a sentence."""
    counts: list[int] = []

    def fake_generate(model, tokenizer, prompts, max_new_tokens, batch_size, on_batch):
        counts.append(len(prompts))
        return [f"Answer {n}. Cut" for n in range(len(prompts))]

    monkeypatch.setattr(replay, "generate_batch", fake_generate)
    return counts


def test_the_embedded_model_takes_the_bundled_answers_and_caches_them(tiny, tmp_path, generated):
    embedded = dataclasses.replace(tiny, name=EMBEDDED_MODEL)
    system, max_new_tokens = _defaults()
    with GenerationCache(tmp_path / "c.sqlite") as cache:
        pairs = replay.replay_pairs(embedded, cache, system, max_new_tokens)
        assert len(cache) == len(replay.replay_prompts())
    assert generated == []
    bundled = replay.bundled_answers(EMBEDDED_MODEL, system, max_new_tokens)
    assert pairs and all(bundled[prompt].startswith(answer) for prompt, answer in pairs)


def test_other_models_and_other_settings_generate_their_own_answers(tiny, tmp_path, generated):
    system, max_new_tokens = _defaults()
    embedded = dataclasses.replace(tiny, name=EMBEDDED_MODEL)
    with GenerationCache(tmp_path / "c.sqlite") as cache:
        pairs = replay.replay_pairs(tiny, cache, system, max_new_tokens)  # a model of its own name
        replay.replay_pairs(embedded, cache, "Another system message.", max_new_tokens)
        replay.replay_pairs(embedded, cache, system, max_new_tokens + 1)
        replay.replay_pairs(tiny, cache, system, max_new_tokens)  # cached now: nothing generated
    prompts = len(replay.replay_prompts())
    assert generated == [prompts, prompts, prompts]
    assert pairs[0] == (replay.replay_prompts()[0], "Answer 0.")  # cut back to whole sentences


def test_a_prompts_file_of_your_own_is_replayed_instead_of_the_bundled_prompts(tiny, tmp_path, generated):
    system, max_new_tokens = _defaults()
    lines = tmp_path / "prompts.txt"
    lines.write_text("How do I boil an egg?\n\nWhat is a verb?\n", encoding="utf-8")
    listed = tmp_path / "prompts.json"
    listed.write_text('{"prompts": ["What is a verb?", "Tell me a joke."]}', encoding="utf-8")
    assert replay.replay_prompts(str(lines)) == ["How do I boil an egg?", "What is a verb?"]
    assert replay.replay_prompts(str(listed)) == ["What is a verb?", "Tell me a joke."]
    embedded = dataclasses.replace(tiny, name=EMBEDDED_MODEL)
    with GenerationCache(tmp_path / "c.sqlite") as cache:
        pairs = replay.replay_pairs(embedded, cache, system, max_new_tokens, prompts_file=str(lines))
        again = replay.replay_pairs(embedded, cache, system, max_new_tokens, prompts_file=str(listed))
    assert [p for p, _ in pairs] == ["How do I boil an egg?", "What is a verb?"] and len(again) == 2
    assert generated == [2, 1]  # none of them is bundled; "What is a verb?" comes from the cache the second time
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    for path, message in ((tmp_path / "missing.txt", "not found"), (empty, "holds no prompts")):
        with pytest.raises(LiftError, match=message):
            replay.replay_prompts(str(path))
