"""The chat engine behind `lift serve`: one base model, many lifted documents.

One worker thread owns the model (generation is not thread-safe). Requests wait in a bounded queue; when it
is full, `submit` raises QueueFull and the server answers 429. Waiting requests for the same document, mode
and answer length (not streamed) are answered as one batch. LoRA adapters of recently used documents stay
loaded side by side (adapters.slots.AdapterSlots: serve.adapter_slots of them, least recently used unloaded
first); switching document is peft's set_adapter, never a reload of the base weights. Gated Memory adapters
are attached for the request and taken off after it. In the auto mode the document's question gate routes
each request when it is prepared: to the adapter (answered as lift_only) or to the base model (no_context).
A document's gate vectors are read from its entry once and kept (GATE_CACHE of them), keyed by the file's
identity, so a document lifted again is read anew.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import threading
import time
from dataclasses import dataclass, field

import torch
from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

from lift.adapters import load_adapter
from lift.adapters.gated_memory import CONFIG_FILE as GATED_MEMORY_CONFIG
from lift.adapters.slots import AdapterSlots
from lift.config import LiftConfig
from lift.infer.candidates import Choosing, beams_for, chosen_after_reading, chosen_rows
from lift.infer.gate import GATE_FILE, QuestionGate, route_questions
from lift.infer.generation import Continuation, generate_after_reading, generate_rows, read_into_cache
from lift.infer.modes import build_prompt_ids, lift_icl_reads_frozen, reading_length, system_for
from lift.infer.names import GATED_MODES
from lift.models import LoadedModel
from lift.store import Entry

CHAT_MODES = ("auto", "lift_only", "lift_icl")  # for a lifted document; the base model answers with no_context
GATE_CACHE = 64  # documents whose gate vectors stay in memory (least recently used dropped first)
READING_CACHE = 4  # lift_icl readings of a cut (keys and values) kept in memory, the newest used


class QueueFull(Exception):
    """The engine's queue is full: the caller should retry later."""


@dataclass
class ChatJob:
    history: list[dict]  # earlier turns (may start with a system message)
    question: str  # the last user message
    entry: Entry | None  # None: the base model alone
    mode: str  # auto | lift_only | lift_icl | no_context; prepare() turns auto into lift_only or no_context
    max_tokens: int
    deadline: float  # time.monotonic() after which generation stops
    stream: bool = False
    prompt: list[int] = field(default_factory=list)
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)
    streamer: TextIteratorStreamer | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    route: str | None = None  # auto: "adapter" or "base", set by prepare()
    gate_score: float | None = None

    @property
    def batch_key(self) -> tuple:
        return (self.entry.doc_id if self.entry else None, self.mode, self.max_tokens)


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # stop | length | timeout
    adapter_loaded_s: float  # time spent loading this document's adapter (0 when it was already loaded)


class _Deadline(StoppingCriteria):
    def __init__(self, jobs: list[ChatJob]) -> None:
        self.jobs = jobs

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs) -> torch.Tensor:
        stop = all(job.cancelled.is_set() or time.monotonic() > job.deadline for job in self.jobs)
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool, device=input_ids.device)


class ChatEngine:
    def __init__(self, loaded: LoadedModel, config: LiftConfig) -> None:
        self.loaded = loaded
        self.config = config
        self._waiting: collections.deque[ChatJob] = collections.deque()  # at most serve.queue_size
        self._changed = threading.Condition()
        self._closing = False
        self._model_lock = threading.Lock()
        self._slots = AdapterSlots(loaded.model, config.serve.adapter_slots)  # keyed by document id
        # doc id -> (gate file identity, vectors); prepare() runs in request threads, hence the lock
        self._gates: collections.OrderedDict[str, tuple] = collections.OrderedDict()  # id -> (file identity, gate)
        self._gates_lock = threading.Lock()
        # lift_icl readings of a document's cut (its key/value cache), read once and reused by the next questions:
        # an adapter trained on a frozen reading reads with the adapters off (one reading shared by every adapter,
        # key (None, prefix)); any other adapter reads with itself on (key (doc id, lift time, prefix))
        self._readings: collections.OrderedDict[tuple, object] = collections.OrderedDict()
        self.readings_made = 0
        self._worker = threading.Thread(target=self._run, name="lift-chat-engine", daemon=True)
        self.batches_run = 0
        self.loaded.model.eval()

    # ------------------------------------------------------------------ public

    def start(self) -> ChatEngine:
        self._worker.start()
        return self

    def close(self) -> None:
        """Stop after the requests already waiting."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        if self._worker.is_alive():
            self._worker.join(timeout=60)

    def prepare(self, job: ChatJob) -> ChatJob:
        """Route an auto job, build the prompt (raises LiftError when it cannot fit the window); the job is then
        ready to submit."""
        if job.mode == "auto":
            gate = self._gate(job.entry) if job.entry else None
            job.route, job.gate_score = route_questions(gate, [job.question])[0]
            job.mode = GATED_MODES[job.route]
        document = job.entry.document_text if job.mode == "lift_icl" and job.entry else None
        prompt = build_prompt_ids(
            self.loaded.tokenizer,
            job.question,
            job.mode,
            document,
            self.loaded.window,
            job.max_tokens,
            system_for(job.mode, self.config.infer.system_prompt, self.config.infer.base_system_prompt),
            history=job.history,
            context_tokens=self.config.infer.context_tokens,
        )
        job.prompt = prompt
        if job.stream:
            job.streamer = TextIteratorStreamer(
                self.loaded.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=1.0
            )
        return job

    def submit(self, job: ChatJob) -> concurrent.futures.Future:
        with self._changed:
            if len(self._waiting) >= self.config.serve.queue_size or self._closing:
                raise QueueFull
            self._waiting.append(job)
            self._changed.notify()
        return job.future

    def queued(self) -> int:
        return len(self._waiting)

    def forget(self, doc_id: str) -> None:
        """Unload a document's adapter (its entry was deleted or replaced)."""
        with self._model_lock:
            self._slots.forget(doc_id)
            for key in [key for key in self._readings if key[0] == doc_id]:
                del self._readings[key]
        with self._gates_lock:
            self._gates.pop(doc_id, None)

    def loaded_documents(self) -> list[str]:
        return self._slots.loaded()

    def _gate(self, entry: Entry) -> QuestionGate | None:
        """The entry's question gate (None when it was lifted without one), its vectors read once per lift."""
        path = entry.path / GATE_FILE
        if entry.manifest.gate is None or not path.is_file():
            return None
        stat = path.stat()
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._gates_lock:
            cached = self._gates.get(entry.doc_id)
            if cached and cached[0] == identity:
                self._gates.move_to_end(entry.doc_id)
                return dataclasses.replace(cached[1], threshold=entry.manifest.gate.threshold)
        gate = QuestionGate.load(path, entry.manifest.gate.threshold)
        with self._gates_lock:
            self._gates[entry.doc_id] = (identity, gate)
            self._gates.move_to_end(entry.doc_id)
            while len(self._gates) > GATE_CACHE:
                self._gates.popitem(last=False)
        return gate

    # ------------------------------------------------------------------ worker

    def _next_batch(self) -> list[ChatJob] | None:
        """The oldest waiting request, with up to batch_size - 1 later ones it can share a generate call with."""
        with self._changed:
            while not self._waiting and not self._closing:
                self._changed.wait()
            if not self._waiting:
                return None
            first = self._waiting.popleft()
            batch = [first]
            if not first.stream:
                for job in list(self._waiting):
                    if len(batch) >= self.config.serve.batch_size:
                        break
                    if not job.stream and job.batch_key == first.batch_key:
                        batch.append(job)
                        self._waiting.remove(job)
            return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            live = []
            for job in batch:
                if job.cancelled.is_set() or not job.future.set_running_or_notify_cancel():
                    continue
                if time.monotonic() > job.deadline:  # waited in the queue past its deadline: do not start it
                    job.future.set_result(ChatResult("", len(job.prompt), 0, "timeout", 0.0))
                    if job.streamer is not None:
                        job.streamer.end()
                    continue
                live.append(job)
            if not live:
                continue
            try:
                with self._model_lock:
                    results = self._answer(live)
                for job, result in zip(live, results, strict=True):
                    job.future.set_result(result)
            except Exception as error:  # the request fails, the server keeps serving
                for job in live:
                    if not job.future.done():
                        job.future.set_exception(error)
                    if job.streamer is not None:
                        job.streamer.end()
            self.batches_run += 1

    def _answer(self, jobs: list[ChatJob]) -> list[ChatResult]:
        first = jobs[0]
        if first.mode == "lift_icl" and first.entry and not (first.entry.adapter_dir / GATED_MEMORY_CONFIG).is_file():
            return [self._answer_after_reading(job) for job in jobs]
        started = time.perf_counter()
        beams = beams_for(first.mode, self.config.infer.beams) if first.entry else 1
        with self._network(first.entry, first.mode) as net:
            loaded_s = time.perf_counter() - started
            stop = StoppingCriteriaList([_Deadline(jobs)])
            if beams > 1:  # beam search cannot stream: the chosen answer is sent in one piece
                continuations = chosen_rows(
                    net, self.loaded.tokenizer, [job.prompt for job in jobs], [job.question for job in jobs],
                    first.max_tokens, beams, Choosing.of(self.config.infer), stopping_criteria=stop,
                )  # fmt: skip
                if first.streamer is not None:
                    first.streamer.on_finalized_text(continuations[0].text, stream_end=True)
            else:
                continuations = generate_rows(
                    net, self.loaded.tokenizer, [job.prompt for job in jobs], max_new_tokens=first.max_tokens,
                    streamer=first.streamer, stopping_criteria=stop,
                )  # fmt: skip
        return [self._result(job, c, loaded_s) for job, c in zip(jobs, continuations, strict=True)]

    def _answer_after_reading(self, job: ChatJob) -> ChatResult:
        """lift_icl: the document's cut read once while it stays cached (by the base model for an adapter trained
        on a frozen reading, as trained; by the adapter otherwise), then the question and the answer with the
        adapter after that reading."""
        length = reading_length(self.loaded.tokenizer, job.prompt)
        prefix = tuple(job.prompt[:length])
        frozen = lift_icl_reads_frozen(job.entry.manifest.lift_config().train, self.config.infer.lift_icl_reading)
        key = (None, prefix) if frozen else (job.entry.doc_id, job.entry.manifest.created, prefix)
        reading = self._readings.get(key)
        if reading is None:
            if frozen:
                with self._slots.adapters_off() as net:
                    reading = read_into_cache(net, list(prefix))
            else:
                with self._network(job.entry, job.mode) as net:
                    reading = read_into_cache(net, list(prefix))
            self.readings_made += 1
            self._readings[key] = reading
            while len(self._readings) > READING_CACHE:
                self._readings.popitem(last=False)
        self._readings.move_to_end(key)
        started = time.perf_counter()
        stop = StoppingCriteriaList([_Deadline([job])])
        with self._network(job.entry, job.mode) as net:
            loaded_s = time.perf_counter() - started
            beams = beams_for(job.mode, self.config.infer.beams)
            if beams > 1:  # sent in one piece, as in _answer
                continuation = chosen_after_reading(
                    net, self.loaded.tokenizer, job.prompt, job.question, reading, job.max_tokens, beams,
                    Choosing.of(self.config.infer), stopping_criteria=stop,
                )  # fmt: skip
                if job.streamer is not None:
                    job.streamer.on_finalized_text(continuation.text, stream_end=True)
            else:
                continuation = generate_after_reading(
                    net, self.loaded.tokenizer, job.prompt, reading, job.max_tokens, streamer=job.streamer,
                    stopping_criteria=stop,
                )  # fmt: skip
        return self._result(job, continuation, loaded_s)

    @staticmethod
    def _result(job: ChatJob, continuation: Continuation, loaded_s: float) -> ChatResult:
        if continuation.finished:
            reason = "stop"
        elif continuation.tokens >= job.max_tokens:
            reason = "length"
        else:
            reason = "timeout"
        return ChatResult(continuation.text, len(job.prompt), continuation.tokens, reason, round(loaded_s, 3))

    # ------------------------------------------------------------------ adapters

    @contextlib.contextmanager
    def _network(self, entry: Entry | None, mode: str):
        """The model to generate with: the base (adapters off), or the base with this document's adapter."""
        if entry is None or mode not in CHAT_MODES:
            with self._slots.adapters_off() as net:
                yield net
            return
        if (entry.adapter_dir / GATED_MEMORY_CONFIG).is_file():
            with self._slots.adapters_off():
                adapter = load_adapter(self._slots.base_model, entry.adapter_dir)
                try:
                    yield adapter.model
                finally:
                    adapter.unload()
            return
        yield self._slots.activate(entry.doc_id, entry.adapter_dir)
