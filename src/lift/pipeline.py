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
from collections.abc import Callable, Iterator

from lift.synth.stats import SynthesisReport
from lift.synth.types import QAPair

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
