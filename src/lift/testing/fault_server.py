"""A fault-injecting OpenAI-compatible chat server, for tests and for benchmarking the generator client.

It answers POST /v1/chat/completions and GET /v1/models on 127.0.0.1 with a fixed latency per request, and
injects faults by rule: a rule matches requests whose user message contains a string and gives the fault for
each attempt at that same request (429, 500, 503, timeout, malformed body, truncated JSON, prose, or slow:
a good reply after slow_seconds). Replies
come from a responder: by default the template generator's pairs for the sentence the prompt asks about (so
the output is realistic JSON), or a real model (model_responder). Token usage is reported as word counts.

It is bounded: it shuts itself down after `lifetime` seconds, and every thread is a daemon.

    python -m lift.testing.fault_server --latency 1.0 --port 8765      # serves until Ctrl-C or --lifetime
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("429", "500", "503", "timeout", "malformed", "truncated", "prose", "slow")
Responder = Callable[[list[dict]], str]


@dataclass
class FaultRule:
    """Requests whose user message contains `match` get faults[n] on their n-th attempt (then succeed), or
    the last fault forever when `always` is set."""

    match: str
    faults: tuple[str, ...]
    always: bool = False

    def fault_for(self, attempt: int) -> str | None:
        if attempt < len(self.faults):
            return self.faults[attempt]
        return self.faults[-1] if self.always and self.faults else None


@dataclass
class ServerLog:
    requests: int = 0
    completions: int = 0  # 200 replies with a well-formed completion
    faults: Counter = field(default_factory=Counter)
    attempts: Counter = field(default_factory=Counter)  # request fingerprint -> attempts seen
    in_flight: int = 0
    max_in_flight: int = 0


def template_responder(messages: list[dict]) -> str:
    """What the template generator would write for the sentence (or window) the prompt is about."""
    from lift.synth.aux import template_aux_pair
    from lift.synth.template import template_pairs
    from lift.synth.types import AuxWindow
    from lift.text import split_sentences

    user = messages[-1]["content"]
    sentence = re.search(r"The last part of the paragraph:\n(.*?)\n\nGenerate (\d+)", user, re.DOTALL)
    if sentence:
        pairs = template_pairs(sentence.group(1).strip())[: int(sentence.group(2))]
        return json.dumps({"qa_list": pairs})
    window = user.split("The following is the piece of text:", 1)
    if len(window) == 2:
        pair = template_aux_pair(AuxWindow(0, 0, tuple(split_sentences(window[1].strip()))))
        if pair:
            return f"Question: {pair['question']}\n\nAnswer: {pair['answer']}\n\nEvidence: {pair['evidence']}"
    return "I could not find anything to ask about."


def model_responder(loaded: object, max_new_tokens: int = 256) -> Responder:
    """Replies written by a real model (greedy), one request at a time."""
    from lift.infer.generation import generate_batch
    from lift.prompting import chat_prompt_ids

    lock = threading.Lock()

    def respond(messages: list[dict]) -> str:
        system = next((m["content"] for m in messages if m["role"] == "system"), None)
        user = messages[-1]["content"]
        with lock:
            ids = chat_prompt_ids(loaded.tokenizer, user, system)  # type: ignore[attr-defined]
            return generate_batch(loaded.model, loaded.tokenizer, [ids], max_new_tokens)[0]  # type: ignore[attr-defined]

    return respond


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default 5 drops SYNs when 64 clients connect at once (1 s retransmit)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (timeout fault) closes its socket: not an error worth printing


class FaultServer:
    def __init__(
        self,
        latency: float = 0.0,
        rules: list[FaultRule] | None = None,
        responder: Responder = template_responder,
        hang_seconds: float = 30.0,
        slow_seconds: float = 3.0,
        lifetime: float = 600.0,
        port: int = 0,
        api_key: str | None = None,
    ) -> None:
        self.latency = latency
        self.rules = rules or []
        self.responder = responder
        self.hang_seconds = hang_seconds
        self.slow_seconds = slow_seconds
        self.api_key = api_key
        self.lifetime = lifetime
        self.log = ServerLog()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", port), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-server", daemon=True)
        self._watchdog = threading.Timer(lifetime, self.stop)
        self._watchdog.daemon = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FaultServer:
        self._thread.start()
        self._watchdog.start()
        return self

    def stop(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()  # wakes handlers that are hanging on a 'timeout' fault
        self._watchdog.cancel()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _decide(self, messages: list[dict]) -> str | None:
        user = messages[-1]["content"] if messages else ""
        fingerprint = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()
        with self._lock:
            self.log.requests += 1
            attempt = self.log.attempts[fingerprint]
            self.log.attempts[fingerprint] += 1
            for rule in self.rules:
                if rule.match in user:
                    fault = rule.fault_for(attempt)
                    if fault:
                        self.log.faults[fault] += 1
                    return fault
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, message: str) -> None:
                body = {"error": {"message": message, "type": "fault_injected", "code": status}}
                self._send(status, json.dumps(body).encode())

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, json.dumps({"object": "list", "data": [{"id": "fault-model"}]}).encode())
                else:
                    self._error(404, f"no route {self.path}")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._error(404, f"no route {self.path}")
                    return
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    self._error(401, "invalid API key")
                    return
                try:
                    request = json.loads(body)
                    messages = request["messages"]
                except (ValueError, KeyError, TypeError):
                    self._error(400, "body must be a chat completion request")
                    return
                fault = server._decide(messages)
                with server._lock:
                    server.log.in_flight += 1
                    server.log.max_in_flight = max(server.log.max_in_flight, server.log.in_flight)
                try:
                    self._reply(request, messages, fault)
                finally:
                    with server._lock:
                        server.log.in_flight -= 1

            def _reply(self, request: dict, messages: list[dict], fault: str | None) -> None:
                if server.latency:
                    server._closing.wait(server.latency)
                if fault == "slow":
                    server._closing.wait(server.slow_seconds)
                if fault in ("429", "500", "503"):
                    self._error(int(fault), f"injected {fault}")
                    return
                if fault == "timeout":
                    server._closing.wait(server.hang_seconds)
                    self._error(504, "injected timeout (the client should have given up)")
                    return
                content = "Sorry, I would rather talk about the weather." if fault == "prose" else None
                if content is None:
                    content = server.responder(messages)
                words_in = sum(len(str(m.get("content", "")).split()) for m in messages)
                body = json.dumps(
                    {
                        "id": f"chatcmpl-{server.log.requests}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": request.get("model", "fault-model"),
                        "choices": [
                            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                        ],
                        "usage": {
                            "prompt_tokens": words_in,
                            "completion_tokens": len(content.split()),
                            "total_tokens": words_in + len(content.split()),
                        },
                    }
                ).encode()
                if fault == "malformed":
                    body = b"<html>502 Bad Gateway</html>"
                elif fault == "truncated":
                    body = body[: len(body) // 2]
                else:
                    with server._lock:
                        server.log.completions += 1
                self._send(200, body)

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="Fault-injecting OpenAI-compatible chat server (template replies).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds before each reply.")
    parser.add_argument("--lifetime", type=float, default=3600.0, help="Seconds before the server stops itself.")
    args = parser.parse_args()
    server = FaultServer(latency=args.latency, lifetime=args.lifetime, port=args.port).start()
    print(server.url, flush=True)
    try:
        while not server._closing.wait(0.5):
            pass
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
