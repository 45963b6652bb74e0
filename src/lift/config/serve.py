"""The server section (ServeConfig, `lift serve`)."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config.fields import _help


@dataclass
class ServeConfig:
    host: str = _help("Address `lift serve` binds; a non-loopback one needs an API key (or --insecure).", "127.0.0.1")
    port: int = _help("Port `lift serve` listens on.", 8000)
    api_key_env: str = _help(
        "Environment variable holding the server's API key (--api-key overrides it); every endpoint but "
        "/health and the web page then needs `Authorization: Bearer KEY`.",
        "LIFT_API_KEY",
    )
    max_body_bytes: int = _help("Largest request body accepted (documents are uploaded as text): 413 above.", 8 << 20)
    max_tokens: int = _help("Largest max_tokens a chat request may ask for: 400 above.", 512)
    request_timeout_s: float = _help("A chat request still unanswered after this many seconds gets 504.", 120.0)
    queue_size: int = _help("Chat requests waiting for the model at most; one more gets 429.", 64)
    batch_size: int = _help("Waiting chat requests for the same model, mode and length answered as one batch.", 8)
    adapter_slots: int = _help(
        "Lifted documents whose adapters stay loaded beside the base model (least recently used goes first).", 8
    )
