"""The producer-consumer pipeline (LIFT paper, asynchronous generation and training): generation runs in a
producer thread and hands QA pairs to the trainer through a bounded queue as each request finishes. It sits
above synth/ and train/ and wires them; neither knows the other.

The trainer blocks only when the queue is empty (time counted in wait_seconds); a full queue makes the
producer wait (back-pressure). An error in the producer is raised in the consumer; a consumer that stops
(error, Ctrl-C) tells the producer to stop sending new requests.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from lift.data.examples import Example
from lift.data.tasks import ExampleMaker
from lift.synth.stats import SynthesisReport
from lift.synth.types import QAPair
from lift.train.distributed import Processes

Produce = Callable[[Callable[[QAPair], None], Callable[[], bool]], SynthesisReport]

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class PairStream:
    """Iterate over QA pairs while a producer thread generates them: `produce(emit, should_stop)` is
    generate_pairs with everything but its callbacks bound."""

    def __init__(self, produce: Produce, queue_size: int) -> None:
        self._produce = produce
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lift-generator", daemon=True)
        self.stats: SynthesisReport | None = None
        self.wait_seconds = 0.0  # trainer time spent waiting for pairs
        self.pairs = 0

    def start(self) -> PairStream:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.stats = self._produce(self._put, self._stop.is_set)
            self._put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            self._put(_Failure(error))

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[QAPair]:
        try:
            while True:
                started = time.perf_counter()
                item = self._queue.get()
                self.wait_seconds += time.perf_counter() - started
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                self.pairs += 1
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop the producer (it finishes the requests in flight, sends no new ones) and wait for it."""
        self._stop.set()
        self._thread.join(timeout=60)


class GeneratedQA:
    """The generated training source (lift.data.sources.Source): synthetic QA pairs made into examples, with
    replay mixed in (lift.data.tasks.ExampleMaker). With `streaming` (the pipeline) its examples come from a
    producer thread as each generation finishes; without it, everything is generated first (under torchrun
    process 0 generates into the cache, then the others read it). Once its examples are consumed (or it is
    closed), `stats` holds the synthesis record and `questions` every pair's (order, question)."""

    name = "qa"
    generated = True

    def __init__(
        self,
        produce: Produce,
        make_examples: ExampleMaker,
        generator_id: str,
        expected: int,
        streaming: bool,
        queue_size: int,
        processes: Processes,
    ) -> None:
        self._produce = produce
        self.make_examples = make_examples
        self.generator_id = generator_id
        self.expected = expected  # examples if every request yields all it asks for (replay included)
        self.streaming = streaming
        self._queue_size = queue_size
        self._processes = processes
        self._stream: PairStream | None = None
        self.stats = SynthesisReport()
        self.wait_seconds = 0.0  # trainer time spent waiting for pairs (streaming)
        self.questions: list[tuple[tuple[int, int], str]] = []

    def examples(self) -> Iterable[tuple[tuple, Example]]:
        if self.streaming:
            self._stream = PairStream(self._produce, self._queue_size).start()
            return self._streamed()
        collected: list[QAPair] = []
        with self._processes.main_first():  # process 0 generates into the cache, the others read it
            self.stats = self._produce(collected.append, lambda: False)
        ordered = sorted(collected, key=lambda pair: pair.order)
        return list(self.make_examples.stream(self._noted(ordered)))

    def _noted(self, pairs: Iterable[QAPair]) -> Iterator[QAPair]:
        for pair in pairs:
            self.questions.append((pair.order, pair.question))
            yield pair

    def _streamed(self) -> Iterator[tuple[tuple, Example]]:
        assert self._stream is not None
        try:
            yield from self.make_examples.stream(self._noted(self._stream))
        finally:
            self.close()

    def counts(self) -> dict[str, int]:
        """The manifest's training counts of this source."""
        maker = self.make_examples
        return {"qa_examples": maker.qa_examples, "replay_examples": maker.replay_examples,
                "context_examples": maker.context_examples}  # fmt: skip

    def timings(self) -> dict[str, float]:
        return {"trainer_wait": self.wait_seconds} if self.streaming else {}

    def close(self) -> None:
        """Stop a producer still running (training failed or stopped); keeps what it counted."""
        if self._stream is not None:
            self._stream.close()
            self.stats = self._stream.stats or self.stats
            self.wait_seconds = self._stream.wait_seconds
