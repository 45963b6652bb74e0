"""The HTTP API of `lift serve`: OpenAI-compatible chat over lifted documents, document upload and lifting
jobs, and the web page. Errors use OpenAI's JSON shape: {"error": {"message", "type", "param", "code"}}.

    GET    /health                  no auth
    GET    /                        the web page (static; it sends the API key the user types)
    GET    /v1/models               the base model and one `lift:<doc-id>` per lifted document
    POST   /v1/chat/completions     `model` picks the document; extension `lift_mode`: auto (default) | lift_only
                                    | lift_icl; for auto the answer's `lift_route` says adapter or base
    POST   /v1/documents            {"text", "title"} -> 202, lifted in the background
    GET    /v1/documents[/{id}]     status, progress, manifest
    DELETE /v1/documents/{id}       cancel its job, remove its adapter
"""

from __future__ import annotations

import asyncio
import hmac
import json
import queue
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.models import LoadedModel
from lift.serve.engine import CHAT_MODES, ChatEngine, ChatJob, ChatResult, QueueFull
from lift.serve.jobs import LiftJobs
from lift.store import Entry, Store, is_doc_id

MODEL_PREFIX = "lift:"


class APIError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type_, code


def error_response(status: int, message: str, type_: str, code: str | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return JSONResponse(body, status_code=status)


# ---------------------------------------------------------------------- request bodies


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant"]
    content: str | list[TextPart]

    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(part.text for part in self.content)


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # sampling parameters are accepted; decoding is greedy
    model: str
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stream: bool = False
    n: int = 1
    lift_mode: str | None = None


class DocumentBody(BaseModel):
    text: str
    title: str | None = None


# ---------------------------------------------------------------------- the server


@dataclass
class Server:
    loaded: LoadedModel
    config: LiftConfig
    store: Store
    engine: ChatEngine
    jobs: LiftJobs
    api_key: str | None = None

    def model_entry(self, model: str) -> Entry | None:
        """None for the base model; the lifted document's entry for lift:<doc-id or unique prefix>."""
        if model == self.loaded.name:
            return None
        if not model.startswith(MODEL_PREFIX):
            raise APIError(404, f"The model '{model}' does not exist", code="model_not_found")
        doc = model[len(MODEL_PREFIX) :]
        if not is_doc_id(doc):
            raise APIError(400, f"invalid document id '{doc}' in model '{model}'", code="invalid_document_id")
        matches = [e for e in self.store.with_prefix(doc) if e.manifest.base_model == self.loaded.name]
        if len(matches) != 1:
            detail = "is ambiguous" if matches else "does not exist"
            raise APIError(404, f"The model '{model}' {detail}", code="model_not_found")
        return matches[0]


def _doc_id(doc_id: str) -> str:
    if not is_doc_id(doc_id):
        raise APIError(400, f"invalid document id '{doc_id}'", code="invalid_document_id")
    return doc_id


def create_app(server: Server) -> FastAPI:
    app = FastAPI(title="LIFT", description="Chat with lifted documents.", docs_url=None, redoc_url=None)
    app.state.server = server
    limits = server.config.serve

    @app.exception_handler(APIError)
    async def _api_error(request: Request, error: APIError) -> JSONResponse:
        return error_response(error.status, error.message, error.type, error.code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return error_response(error.status_code, str(error.detail), "invalid_request_error")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        message = f"invalid request: {where + ': ' if where else ''}{first.get('msg', 'bad body')}"
        return error_response(400, message, "invalid_request_error", "invalid_request")

    @app.exception_handler(LiftError)
    async def _lift_error(request: Request, error: LiftError) -> JSONResponse:
        return error_response(400, str(error), "invalid_request_error")

    @app.exception_handler(Exception)
    async def _bug(request: Request, error: Exception) -> JSONResponse:
        return error_response(500, f"internal error: {type(error).__name__}: {error}", "server_error")

    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)

    async def authorized(request: Request) -> None:
        if server.api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise APIError(401, "missing API key: send 'Authorization: Bearer KEY'", "authentication_error", "no_key")
        if not hmac.compare_digest(token.strip().encode(), server.api_key.encode()):
            raise APIError(401, "incorrect API key", "authentication_error", "invalid_api_key")

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "model": server.loaded.name, "queued": server.engine.queued()}

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(resources.files("lift.serve").joinpath("static/index.html").read_text("utf-8"))

    api = APIRouter(prefix="/v1", dependencies=[Depends(authorized)])

    @api.get("/models")
    async def models() -> dict:
        data = [{"id": server.loaded.name, "object": "model", "created": 0, "owned_by": "lift"}]
        for entry in server.store.entries():
            manifest = entry.manifest
            if manifest.base_model != server.loaded.name:
                continue
            data.append(
                {
                    "id": MODEL_PREFIX + entry.doc_id,
                    "object": "model",
                    "created": int(entry.path.stat().st_mtime),
                    "owned_by": "lift",
                    "title": manifest.title,
                    "tokens": manifest.tokens,
                }
            )
        return {"object": "list", "data": data}

    @api.post("/chat/completions", response_model=None)
    async def chat(body: ChatBody) -> Any:
        entry = server.model_entry(body.model)
        if body.n != 1:
            raise APIError(400, "only n=1 is supported", code="unsupported_parameter")
        mode = body.lift_mode or ("auto" if entry else "no_context")
        if entry is None and body.lift_mode not in (None, "no_context"):
            raise APIError(400, f"lift_mode {body.lift_mode} needs a lifted document as model ('lift:<doc-id>')")
        if entry is not None and mode not in CHAT_MODES:
            raise APIError(400, f"unknown lift_mode '{mode}' (choose from {', '.join(CHAT_MODES)})")
        max_tokens = body.max_completion_tokens or body.max_tokens or server.config.infer.max_new_tokens
        if max_tokens > limits.max_tokens:
            raise APIError(400, f"max_tokens {max_tokens} is above this server's limit of {limits.max_tokens}")
        if body.messages[-1].role != "user":
            raise APIError(400, "the last message must come from the user")
        history = [{"role": m.role, "content": m.text()} for m in body.messages[:-1]]
        job = ChatJob(
            history=history,
            question=body.messages[-1].text(),
            entry=entry,
            mode=mode,
            max_tokens=max_tokens,
            deadline=time.monotonic() + limits.request_timeout_s,
            stream=body.stream,
        )
        await asyncio.to_thread(server.engine.prepare, job)  # routes auto; tokenizes the document for lift_icl
        try:
            future = server.engine.submit(job)
        except QueueFull:
            busy = "the server is busy: too many requests waiting; retry later"
            raise APIError(429, busy, "rate_limit_error") from None
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        if body.stream:
            events = _stream(job, future, completion_id, body.model, _mode_fields(mode, job))
            return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        try:
            result: ChatResult = await asyncio.wait_for(asyncio.wrap_future(future), limits.request_timeout_s + 5)
        except TimeoutError:
            job.cancelled.set()
            result = ChatResult("", len(job.prompt), 0, "timeout", 0.0)
        if result.finish_reason == "timeout":
            raise APIError(504, f"no answer within {limits.request_timeout_s:g} s", "timeout_error", "timeout")
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": result.text},
                    "finish_reason": result.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "total_tokens": result.prompt_tokens + result.completion_tokens,
            },
            **_mode_fields(mode, job),
        }

    @api.post("/documents", status_code=202, response_model=None)
    async def upload(request: Request) -> Any:
        if request.headers.get("content-type", "").startswith("text/plain"):
            text = (await request.body()).decode("utf-8", errors="replace")
            title = request.query_params.get("title")
        else:
            try:
                data = DocumentBody.model_validate_json(await request.body())
            except ValueError as error:
                first = str(error).splitlines()
                raise APIError(400, f"invalid request: {first[-1].strip() if first else 'bad JSON'}") from None
            text, title = data.text, data.title
        title = (title or "").strip() or (text.strip().splitlines() or ["untitled"])[0][:80]
        job = server.jobs.submit(text, title)
        status = _document_status(server, job.doc_id)
        if status["status"] == "done":
            return JSONResponse(status, status_code=200)
        return status

    @api.get("/documents")
    async def documents() -> dict:
        found = {s["id"]: s for s in server.jobs.all() if s["status"] in ("queued", "running", "failed")}
        for entry in server.store.entries():
            found[entry.doc_id] = _document_status(server, entry.doc_id, with_manifest=False)
        return {"object": "list", "data": list(found.values())}

    @api.get("/documents/{doc_id}")
    async def document(doc_id: str) -> dict:
        return _document_status(server, _doc_id(doc_id))

    @api.delete("/documents/{doc_id}")
    async def delete(doc_id: str) -> dict:
        doc_id = _doc_id(doc_id)
        cancelled = server.jobs.cancel(doc_id)
        removed = server.store.get(doc_id) is not None
        if removed:
            server.engine.forget(doc_id)
            server.store.remove(doc_id)
        if not (cancelled or removed):
            raise APIError(404, f"no document or job with id '{doc_id}'", code="document_not_found")
        return {"id": doc_id, "object": "document", "deleted": True, "job_cancelled": cancelled}

    app.include_router(api)
    return app


def _document_status(server: Server, doc_id: str, with_manifest: bool = True) -> dict:
    job = server.jobs.get(doc_id)
    if job is not None and job["status"] in ("queued", "running", "failed", "cancelled"):
        return {"object": "document", "model": MODEL_PREFIX + doc_id, **job}
    entry = server.store.get(doc_id)
    if entry is None:
        raise APIError(404, f"no document or job with id '{doc_id}'", code="document_not_found")
    manifest = entry.manifest
    status = {
        "object": "document",
        "id": doc_id,
        "model": MODEL_PREFIX + doc_id,
        "title": manifest.title,
        "status": "done",
        "tokens": manifest.tokens,
        "created": manifest.created,
    }
    if with_manifest:
        status["manifest"] = manifest.to_dict()
    return status


def _mode_fields(mode: str, job: ChatJob) -> dict:
    """The extension fields of an answer: the mode asked for, and for auto where the gate sent the question."""
    fields: dict[str, Any] = {"lift_mode": mode}
    if job.route is not None:
        fields["lift_route"] = job.route
        fields["lift_gate_score"] = None if job.gate_score is None else round(job.gate_score, 4)
    return fields


def _stream(job: ChatJob, future, completion_id: str, model: str, mode_fields: dict) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format; a synchronous generator (Starlette runs it in a thread)."""
    created = int(time.time())

    def chunk(delta: dict, finish_reason: str | None = None) -> str:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            **mode_fields,
        }
        return f"data: {json.dumps(body)}\n\n"

    finished = False
    try:
        yield chunk({"role": "assistant", "content": ""})
        assert job.streamer is not None
        while True:
            try:
                piece = next(job.streamer)
            except StopIteration:
                break
            except queue.Empty:  # no token within a second: still waiting for the model, or past the deadline
                if future.done() or time.monotonic() > job.deadline + 5:
                    job.cancelled.set()
                    break
                continue
            if piece:
                yield chunk({"content": piece})
        try:
            result = future.result(timeout=max(0.0, job.deadline + 5 - time.monotonic()))
            reason = result.finish_reason
        except Exception as error:  # the generation failed or never finished
            reason = "timeout" if isinstance(error, TimeoutError) else "error"
            message = str(error) or type(error).__name__
        if reason in ("timeout", "error"):
            if reason == "timeout":
                message = "no complete answer within the request timeout"
            yield f"data: {json.dumps({'error': {'message': message, 'type': reason}})}\n\n"
        else:
            yield chunk({}, reason)
        yield "data: [DONE]\n\n"
        finished = True
    finally:
        if not finished:  # the client went away: stop generating for it
            job.cancelled.set()


class BodyLimit:
    """ASGI middleware: 413 for a request body over `limit` bytes, by Content-Length or as it arrives."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_large = length is not None and length.isdigit() and int(length) > self.limit
        messages = []
        if not too_large:  # read the body here (it is small by then) so a chunked one is counted too
            size, more = 0, True
            while more:
                message = await receive()
                messages.append(message)
                size += len(message.get("body", b""))
                more = message.get("more_body", False) and message["type"] == "http.request"
                if size > self.limit:
                    too_large = True
                    break
        if too_large:
            response = error_response(
                413, f"request body over this server's limit of {self.limit} bytes", "invalid_request_error"
            )
            await response(scope, receive, send)
            return

        async def replay() -> dict[str, Any]:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
