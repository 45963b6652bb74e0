"""`lift serve`: an OpenAI-compatible server and web page for chatting with lifted documents."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING

from lift.config import LiftConfig
from lift.errors import LiftError

if TYPE_CHECKING:
    from lift.models import LoadedModel


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None, insecure: bool) -> None:
    """Refuse to expose the server beyond this machine without an API key, unless told to."""
    if not is_loopback(host) and not api_key and not insecure:
        raise LiftError(
            f"refusing to bind {host} (reachable from other machines) without an API key: set one with --api-key "
            "or the serve.api_key_env variable, or pass --insecure to serve without one"
        )


def build_server(loaded: LoadedModel, config: LiftConfig, home: Path, api_key: str | None = None):
    """The engine, the job runner and the app, started (close with `stop_server`)."""
    from lift.serve.app import Server, create_app
    from lift.serve.engine import ChatEngine
    from lift.serve.jobs import LiftJobs
    from lift.store import Store

    engine = ChatEngine(loaded, config).start()
    jobs = LiftJobs(home, config, on_done=engine.forget).start()
    server = Server(loaded=loaded, config=config, store=Store(home), engine=engine, jobs=jobs, api_key=api_key)
    return create_app(server)


def stop_server(app) -> None:
    app.state.server.jobs.close()
    app.state.server.engine.close()


__all__ = ["build_server", "check_bind", "is_loopback", "stop_server"]
