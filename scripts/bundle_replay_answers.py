"""Write src/lift/samples/replay_answers.json: the embedded model's greedy answers to the replay prompts, with
the default settings (infer.base_system_prompt, train.replay_max_tokens), generated as a lift would generate
them. Run it again after changing the prompts, those settings, REPLAY_VERSION or the embedded model
(tests/test_replay.py fails until then).

    .venv/bin/python scripts/bundle_replay_answers.py
"""

import json
from pathlib import Path

from lift.config import LiftConfig
from lift.models import load_model
from lift.synth.replay import BUNDLED_ANSWERS, REPLAY_VERSION, generate_replay_answers, replay_prompts

OUT = Path(__file__).resolve().parents[1] / "src" / "lift" / "samples" / BUNDLED_ANSWERS


def main() -> None:
    config = LiftConfig()
    loaded = load_model(device="cpu")
    system, max_new_tokens = config.infer.base_system_prompt, config.train.replay_max_tokens
    prompts = replay_prompts()
    answers = generate_replay_answers(loaded, prompts, system, max_new_tokens)
    data = {
        "about": "The embedded model's greedy answers to replay_prompts.json (CPU, fp32), shipped so that a first "
        "lift does not generate them; written by scripts/bundle_replay_answers.py.",
        "kind": REPLAY_VERSION,
        "model": loaded.name,
        "system": system,
        "max_new_tokens": max_new_tokens,
        "answers": dict(zip(prompts, answers, strict=True)),
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(answers)} answers to {OUT}")


if __name__ == "__main__":
    main()
