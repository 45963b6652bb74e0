"""Run the server on a free loopback port in a background thread: for tests, benchmarks and notebooks."""

from __future__ import annotations

import threading
import time

import uvicorn

from lift.serve import stop_server


class ServerThread:
    def __init__(self, app, host: str = "127.0.0.1", start_timeout_s: float = 30.0) -> None:
        self.app = app
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="lift-serve", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + start_timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{host}:{port}"

    def close(self, stop_app: bool = True) -> None:
        """Stop listening; with stop_app also the engine and the job runner."""
        self.server.should_exit = True
        self.thread.join(timeout=30)
        if stop_app:
            stop_server(self.app)
