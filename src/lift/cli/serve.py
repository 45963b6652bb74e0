"""`lift serve`: the OpenAI-compatible API and the web page."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lift.cli.common import ConfigOption, DeviceOption, ModelOption, SetOption, build_config, err, load, user_errors
from lift.config import field_help


@user_errors
def serve(
    host: Annotated[str | None, typer.Option(help=field_help("serve.host"))] = None,
    port: Annotated[int | None, typer.Option(help=field_help("serve.port"))] = None,
    api_key: Annotated[
        str | None,
        typer.Option(help="API key clients must send as 'Authorization: Bearer KEY' (default: $LIFT_API_KEY)."),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow a non-loopback address without an API key.")
    ] = False,
    config: ConfigOption = None,
    model: ModelOption = None,
    device: DeviceOption = None,
    set_: SetOption = None,
) -> None:
    """Serve lifted documents: an OpenAI-compatible API (/v1/chat/completions with model 'lift:<doc-id>',
    /v1/models, /v1/documents to upload and lift) and a web page at /."""
    from lift.home import lift_home
    from lift.serve import build_server, check_bind, stop_server

    overrides = {"serve.host": host, "serve.port": port, "model.name": model, "model.device": device}
    cfg = build_config(config, overrides, set_)
    key = api_key or os.environ.get(cfg.serve.api_key_env) or None
    check_bind(cfg.serve.host, key, insecure)
    import uvicorn

    loaded = load(cfg.model.name, cfg.model.device)
    app = build_server(loaded, cfg, lift_home(), api_key=key)
    err.print(
        f"serving {loaded.name} and its lifted documents on http://{cfg.serve.host}:{cfg.serve.port} "
        f"({'API key required' if key else 'no API key'}); web page at /, API under /v1"
    )
    try:
        uvicorn.run(app, host=cfg.serve.host, port=cfg.serve.port, log_level="warning")
    finally:
        stop_server(app)
