"""Optional LLM judge (the LIFT 2025 paper's GPT4-score, appendix B): any OpenAI-compatible endpoint says True/False to
"is the predicted answer semantically the same as the ground truth"."""

from __future__ import annotations

import os

from lift.config import EvalConfig
from lift.errors import LiftError
from lift.eval.items import EvalItem

JUDGE_PROMPT = (
    "Given one question, there is a groundtruth and a predict_answer. Please decide whether they are the same "
    "or not in semantic. Please only output 'True' or 'False' .\n"
    "Question: {question}\ngroundtruth = {reference}\npredict_answer = {prediction}"
)


class Judge:
    """Callable(item, prediction) -> 1.0 / 0.0, or None when the endpoint failed or answered neither."""

    def __init__(
        self, base_url: str, model: str, api_key_env: str, timeout_s: float = 60.0, max_retries: int = 3
    ) -> None:
        try:
            import openai
        except ImportError:
            raise LiftError("the LLM judge needs the openai package: pip install openai") from None
        self.model = model
        self.failures = 0
        self.client = openai.OpenAI(
            base_url=base_url, api_key=os.environ.get(api_key_env) or "none", timeout=timeout_s, max_retries=max_retries
        )

    @classmethod
    def from_config(cls, config: EvalConfig) -> Judge | None:
        """The judge of eval.judge_url, or None when none is set."""
        if not config.judge_url:
            return None
        return cls(config.judge_url, config.judge_model, config.judge_api_key_env)

    def __call__(self, item: EvalItem, prediction: str) -> float | None:
        prompt = JUDGE_PROMPT.format(question=item.question, reference=item.references[0], prediction=prediction)
        try:
            reply = self.client.chat.completions.create(
                model=self.model, messages=[{"role": "user", "content": prompt}], temperature=0.0, max_tokens=5
            )
            verdict = (reply.choices[0].message.content or "").strip().lower()
        except Exception:  # a judge outage costs a score, never the run
            self.failures += 1
            return None
        if verdict.startswith("true"):
            return 1.0
        if verdict.startswith("false"):
            return 0.0
        self.failures += 1
        return None
