"""The real embedded model, end to end: lift the bundled needle essay and check real behaviour."""

import pytest

from lift.adapters import load_adapter
from lift.config import LiftConfig
from lift.demo import answers_correctly, general_questions, needle_keywords_in, run_demo
from lift.infer import answer_question
from lift.models import load_model

pytestmark = pytest.mark.integration


def test_lifting_the_needle_sample_recalls_it_and_keeps_general_answers():
    loaded = load_model(device="cpu")
    config = LiftConfig()
    kwargs = {"window": loaded.window, "max_new_tokens": 48, "system": config.infer.system_prompt}

    def right(model, question: dict, mode: str) -> bool:
        answer = answer_question(model, loaded.tokenizer, question["question"], mode, **kwargs).text
        return answers_correctly(answer, question["keywords"])

    # The first 8 fixture questions (hand-checked); `lift eval general` measures all of them.
    base_right = [q for q in general_questions()[:8] if right(loaded.model, q, "no_context")]
    assert len(base_right) >= 6, "the fixture's general questions should be ones the base model answers"

    result = run_demo(loaded, config)

    assert len(needle_keywords_in(result.before)) < 2, result.before
    assert len(result.keywords_found) >= 2, result.after
    assert result.manifest["synthesis"]["qa_pairs_kept"] > 0

    lifted = load_adapter(loaded.model, result.adapter_dir)
    still_right = [q["question"] for q in base_right if right(lifted, q, "lift_only")]
    assert len(still_right) >= len(base_right) - 1, ([q["question"] for q in base_right], still_right)
