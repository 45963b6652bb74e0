"""The `openai` generator: any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, Ollama, OpenAI) through
the official async client.

Each request is independent: bounded concurrency, a per-request timeout, retries with exponential backoff and
jitter on 429, 5xx, timeouts, dropped connections and unreadable bodies, and after the last retry the
item is skipped and counted. A slow or failing request delays only its own pairs and never aborts the run.
Only answers that mean the configuration is wrong (401/403: bad key; 404: unknown model or URL; 400: bad
request) stop the run, with the server's message, since every other request would fail the same way.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Callable

import openai

from lift.errors import LiftError
from lift.synth.backend import OnResult, RequestCounters
from lift.synth.types import Job, SentenceRequest

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class OpenAIGenerator:
    def __init__(
        self,
        url: str,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 64,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        temperature: float = 0.7,
        max_tokens: int = 512,
        seed: int = 0,
    ) -> None:
        self.url = url
        self.model = model
        self.api_key = os.environ.get(api_key_env) or "EMPTY"  # local servers (vLLM, Ollama) take any key
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.generator_id = f"openai:{model}"
        self.counters = RequestCounters()
        self._rng = random.Random(seed)

    def sampling_params(self) -> dict:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens}

    def pairs_at_most(self, request: SentenceRequest) -> int | None:
        return None

    def run(self, jobs: list[Job], on_result: OnResult, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Generate every job, at most `concurrency` at a time; on_result(job, text or None) runs as each one
        finishes, in completion order, in a worker thread (it may block, e.g. on the pipeline's full queue)."""
        self.counters = RequestCounters()
        asyncio.run(self._run(jobs, on_result, should_stop))

    async def _run(self, jobs, on_result, should_stop) -> None:
        # The client's own connection pool (openai's default: 1,000 connections) is larger than any sensible
        # concurrency; the semaphore is what bounds the requests in flight.
        async with openai.AsyncOpenAI(
            base_url=self.url,
            api_key=self.api_key,
            max_retries=0,  # retries are ours: counted, with jitter, and never fatal
            timeout=self.timeout,
        ) as client:
            gate = asyncio.Semaphore(self.concurrency)

            async def one(job: Job) -> None:
                async with gate:
                    if should_stop():
                        return
                    text = await self._generate(client, job)
                await asyncio.to_thread(on_result, job, text)

            tasks = [asyncio.create_task(one(job)) for job in jobs]
            try:
                for finished in asyncio.as_completed(tasks):
                    await finished  # a configuration error surfaces here and cancels the rest
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _generate(self, client: openai.AsyncOpenAI, job: Job) -> str | None:
        messages = ([{"role": "system", "content": job.system}] if job.system else []) + [
            {"role": "user", "content": job.user}
        ]
        for attempt in range(self.max_retries + 1):
            self.counters.requests += 1
            try:
                response = await asyncio.wait_for(
                    client.chat.completions.create(
                        model=self.model,
                        messages=messages,
                        temperature=self.temperature,
                        max_tokens=self.max_tokens,
                    ),
                    timeout=self.timeout,
                )
                if isinstance(response, str) or not getattr(response, "choices", None):
                    raise _Unreadable("no choices in the response")
                text = response.choices[0].message.content or ""
                usage = getattr(response, "usage", None)
                if usage is not None:
                    self.counters.tokens_in += usage.prompt_tokens or 0
                    self.counters.tokens_out += usage.completion_tokens or 0
                return text
            except openai.APIStatusError as error:
                if error.status_code not in RETRYABLE_STATUS and error.status_code < 500:
                    raise LiftError(
                        f"generator server {self.url} answered {error.status_code} for model '{self.model}': "
                        f"{_short(error.message)}"
                    ) from None
                reason = str(error.status_code)
            except (openai.APITimeoutError, asyncio.TimeoutError):
                reason = "timeout"
            except openai.APIConnectionError:
                reason = "connection"
            except (_Unreadable, openai.APIResponseValidationError, json.JSONDecodeError, AttributeError, TypeError):
                reason = "unreadable_response"
            self.counters.note_failure(reason)
            if attempt == self.max_retries:
                self.counters.failed += 1
                return None
            self.counters.retried += 1
            await asyncio.sleep(self._backoff(attempt))
        return None

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: uniform in [cap/2, cap], cap = min(max, base * 2^attempt), so that
        requests refused together (a 429 burst) do not come back together."""
        cap = min(self.backoff_max, self.backoff_base * 2**attempt)
        return self._rng.uniform(cap / 2, cap)


class _Unreadable(Exception):
    pass


def _short(message: str, limit: int = 200) -> str:
    message = " ".join(str(message).split())
    return message if len(message) <= limit else message[:limit] + " ..."
