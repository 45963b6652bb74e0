"""`lift serve` end to end on the tiny model: a real uvicorn server on loopback, documents lifted by its job
runner in child processes, the official openai client, and every refusal the API promises."""

from __future__ import annotations

import concurrent.futures
import json
import shutil
import statistics
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import openai
import pytest
from typer.testing import CliRunner

from conftest import fact_question
from lift.adapters import load_adapter
from lift.cli import app as cli_app
from lift.config import LiftConfig
from lift.infer import answer_question
from lift.infer.candidates import Choosing
from lift.models import load_model
from lift.serve import build_server, check_bind
from lift.serve.app import Server, create_app
from lift.serve.engine import ChatEngine, ChatJob
from lift.serve.jobs import LiftJobs
from lift.store import Store
from lift.testing.server_thread import ServerThread
from lift.text.documents import document_from_text

KEY = "test-key-123"
FACT = "The secret code of the blue castle is zebra seven."
DOC = FACT + " The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
OTHER = "The capital of France is Paris. Hello world, this is a tiny tokenizer."
QUESTION = fact_question(FACT)
TRAIN = {"train.lr": 1e-2, "train.replay_ratio": 0.0, "train.batch_tokens": 128, "train.precision": "fp32"}


def _config(tiny_model_dir: Path, **extra) -> LiftConfig:
    overrides = {"model.name": str(tiny_model_dir), "model.device": "cpu", "train.epochs": 30, **TRAIN, **extra}
    return LiftConfig().with_overrides(overrides)


class Running(ServerThread):
    """The server on a free loopback port, with helpers to call it."""

    def __init__(self, app) -> None:
        super().__init__(app)
        self.state: Server = app.state.server

    def call(self, method: str, path: str, body=None, key: str | None = KEY, raw: bytes | None = None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def client(self, key: str = KEY) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, timeout=120)

    def lift(self, text: str, title: str, timeout_s: float = 300) -> str:
        status, job = self.call("POST", "/v1/documents", {"text": text, "title": title})
        assert status in (200, 202), job
        return self.wait(job["id"], timeout_s)

    def wait(self, doc_id: str, timeout_s: float = 300, until=("done",)) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            status, doc = self.call("GET", f"/v1/documents/{doc_id}")
            assert status == 200, doc
            if doc["status"] in until:
                return doc_id
            assert doc["status"] in ("queued", "running"), doc.get("error", doc)
            assert time.monotonic() < deadline, f"job still {doc['status']} after {timeout_s}s"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def served(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A server with two documents lifted through its own API (module-wide: lifting takes a few seconds)."""
    home = tmp_path_factory.mktemp("serve-home")
    loaded = load_model(str(tiny_model_dir), device="cpu")
    config = _config(tiny_model_dir, **{"serve.adapter_slots": 1, "serve.max_body_bytes": 64 * 1024})
    running = Running(build_server(loaded, config, home, api_key=KEY))
    try:
        running.home = home
        running.fact_id = running.lift(DOC, "Blue castle")
        running.other_id = running.lift(OTHER, "Paris")
        yield running
    finally:
        running.close()


def _library_answer(tiny_model_dir: Path, home: Path, doc_id: str, question: str) -> str:
    """What `lift ask` answers, for comparison with the server."""
    loaded = load_model(str(tiny_model_dir), device="cpu")
    adapter = load_adapter(loaded.model, Store(home).get(doc_id).adapter_dir)
    config = LiftConfig()
    return answer_question(
        adapter, loaded.tokenizer, question, "lift_only", window=loaded.window, max_new_tokens=16,
        system=config.infer.system_prompt,
    ).text  # fmt: skip


def test_openai_client_lists_models_and_chats_with_a_lifted_document(served, tiny_model_dir):
    client = served.client()
    models = {m.id: m for m in client.models.list().data}
    fact_model = f"lift:{served.fact_id}"
    assert served.state.loaded.name in models and fact_model in models
    assert models[fact_model].model_extra["title"] == "Blue castle"

    messages = [{"role": "user", "content": QUESTION}]
    lifted = client.chat.completions.create(model=fact_model, messages=messages, max_tokens=16)
    base = client.chat.completions.create(model=served.state.loaded.name, messages=messages, max_tokens=16)
    assert "zebra seven" in lifted.choices[0].message.content.lower()  # the document lives in the adapter
    assert "zebra seven" not in base.choices[0].message.content.lower()
    assert lifted.choices[0].message.content == _library_answer(tiny_model_dir, served.home, served.fact_id, QUESTION)
    assert lifted.usage.completion_tokens > 0 and lifted.usage.prompt_tokens > 0
    assert lifted.choices[0].finish_reason in ("stop", "length")

    pieces = list(client.chat.completions.create(model=fact_model, messages=messages, max_tokens=16, stream=True))
    streamed = "".join(p.choices[0].delta.content or "" for p in pieces if p.choices)
    assert streamed.strip() == lifted.choices[0].message.content
    assert pieces[-1].choices[0].finish_reason in ("stop", "length")

    icl = client.chat.completions.create(
        model=f"lift:{served.fact_id[:8]}", messages=messages, max_tokens=16, extra_body={"lift_mode": "lift_icl"}
    )
    assert icl.model_extra["lift_mode"] == "lift_icl"


def test_adapters_switch_between_documents_without_mixing_them(served, tiny_model_dir):
    """adapter_slots=1: every switch unloads one adapter and loads the other; answers stay each document's own."""
    client = served.client()
    messages = [{"role": "user", "content": QUESTION}]
    expected = {
        doc: _library_answer(tiny_model_dir, served.home, doc, QUESTION) for doc in (served.fact_id, served.other_id)
    }
    assert expected[served.fact_id] != expected[served.other_id]
    for doc in (served.fact_id, served.other_id, served.fact_id, served.other_id):
        answer = client.chat.completions.create(
            model=f"lift:{doc}", messages=messages, max_tokens=16, extra_body={"lift_mode": "lift_only"}
        )  # lift_only: auto would send a question about the other document to the base model
        assert answer.choices[0].message.content == expected[doc]
        assert served.state.engine.loaded_documents() == [doc]


def test_auto_the_default_mode_sends_general_questions_to_the_base_model(served, tiny_model_dir):
    client = served.client()
    fact_model = f"lift:{served.fact_id}"
    about = client.chat.completions.create(
        model=fact_model, messages=[{"role": "user", "content": QUESTION}], max_tokens=16
    )
    assert about.model_extra["lift_mode"] == "auto" and about.model_extra["lift_route"] == "adapter"
    assert about.choices[0].message.content == _library_answer(tiny_model_dir, served.home, served.fact_id, QUESTION)
    general = [{"role": "user", "content": "What is the capital of France?"}]
    routed = client.chat.completions.create(model=fact_model, messages=general, max_tokens=16)
    base = client.chat.completions.create(model=served.state.loaded.name, messages=general, max_tokens=16)
    assert routed.model_extra["lift_route"] == "base"
    assert routed.model_extra["lift_gate_score"] < Store(served.home).get(served.fact_id).manifest.gate.threshold
    assert routed.choices[0].message.content == base.choices[0].message.content
    adapter = client.chat.completions.create(
        model=fact_model, messages=general, max_tokens=16, extra_body={"lift_mode": "lift_only"}
    )
    assert adapter.choices[0].message.content != base.choices[0].message.content  # the route made a difference
    pieces = list(client.chat.completions.create(model=fact_model, messages=general, max_tokens=16, stream=True))
    assert pieces[0].model_extra["lift_route"] == "base"
    assert (
        "".join(p.choices[0].delta.content or "" for p in pieces if p.choices).strip()
        == base.choices[0].message.content
    )


def test_fifty_concurrent_chats_complete_without_errors(served):
    client = served.client()
    models = [f"lift:{served.fact_id}", f"lift:{served.other_id}", served.state.loaded.name]
    batches_before = served.state.engine.batches_run

    def ask(i: int) -> float:
        started = time.perf_counter()
        reply = client.chat.completions.create(
            model=models[i % 3], messages=[{"role": "user", "content": f"Question {i}?"}], max_tokens=8
        )
        assert reply.choices[0].message.content is not None
        return time.perf_counter() - started

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        latencies = list(pool.map(ask, range(50), timeout=300))
    assert len(latencies) == 50
    assert served.state.engine.batches_run - batches_before < 50  # waiting requests were batched
    print(f"50 concurrent: p50 {statistics.median(latencies):.2f}s, max {max(latencies):.2f}s")


def test_auth_is_required_everywhere_but_health_and_the_page(served):
    assert served.call("GET", "/health", key=None)[0] == 200
    with urllib.request.urlopen(served.url + "/", timeout=10) as page:
        assert page.status == 200 and b"<title>LIFT</title>" in page.read()
    status, body = served.call("GET", "/v1/models", key=None)
    assert status == 401 and body["error"]["type"] == "authentication_error"
    assert served.call("GET", "/v1/models", key="wrong")[0] == 401
    assert served.call("POST", "/v1/documents", {"text": "x"}, key=None)[0] == 401
    with pytest.raises(openai.AuthenticationError):
        served.client(key="wrong").models.list()


@pytest.mark.parametrize(
    "method,path,body,raw,status,code",
    [
        ("POST", "/v1/chat/completions", None, b"{not json", 400, "invalid_request"),
        ("POST", "/v1/chat/completions", {"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}, None,
         404, "model_not_found"),
        ("POST", "/v1/chat/completions", {"model": "lift:../../etc", "messages": [{"role": "user", "content": "q"}]},
         None, 400, "invalid_document_id"),
        ("POST", "/v1/chat/completions", {"model": "lift:abcdef", "messages": []}, None, 400, "invalid_request"),
        ("GET", "/v1/documents/..", None, None, 400, "invalid_document_id"),
        ("GET", "/v1/documents/..%2F..%2Fetc%2Fpasswd", None, None, 404, None),  # no such route
        ("DELETE", "/v1/documents/~root", None, None, 400, "invalid_document_id"),
        ("GET", "/v1/documents/0123456789abcdef", None, None, 404, "document_not_found"),
        ("POST", "/v1/documents", None, b"x" * (64 * 1024 + 1), 413, None),
        ("POST", "/v1/documents", {"text": "   "}, None, 400, None),
    ],
)  # fmt: skip
def test_bad_requests_get_the_right_4xx_in_openai_error_format(served, method, path, body, raw, status, code):
    got, error = served.call(method, path, body, raw=raw)
    assert got == status, error
    assert set(error["error"]) == {"message", "type", "param", "code"} and error["error"]["message"]
    if code:
        assert error["error"]["code"] == code


def test_chat_limits_and_mode_errors(served):
    fact = f"lift:{served.fact_id}"
    user = [{"role": "user", "content": "q"}]
    over = served.state.config.serve.max_tokens + 1
    assert served.call("POST", "/v1/chat/completions", {"model": fact, "messages": user, "max_tokens": over})[0] == 400
    body = {"model": fact, "messages": user, "lift_mode": "telepathy"}
    assert served.call("POST", "/v1/chat/completions", body)[0] == 400
    body = {"model": fact, "messages": [*user, {"role": "assistant", "content": "a"}]}
    assert served.call("POST", "/v1/chat/completions", body)[0] == 400
    long = [{"role": "user", "content": "castle " * 600}]  # past the tiny model's 512-token window
    status, error = served.call("POST", "/v1/chat/completions", {"model": fact, "messages": long})
    assert status == 400 and "window" in error["error"]["message"]


def test_full_queue_gets_429_and_a_stuck_request_504(tiny, tiny_model_dir, lift_home):
    """An engine whose worker never runs: the first request waits and times out, the next finds the queue full."""
    config = _config(tiny_model_dir, **{"serve.queue_size": 1, "serve.request_timeout_s": 1.0})
    engine = ChatEngine(tiny, config)  # not started
    jobs = LiftJobs(lift_home, config)
    running = Running(create_app(Server(tiny, config, Store(lift_home), engine, jobs, api_key=None)))
    try:
        body = {"model": tiny.name, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            first = pool.submit(running.call, "POST", "/v1/chat/completions", body, None)
            time.sleep(0.5)
            status, error = running.call("POST", "/v1/chat/completions", body, key=None)
            assert status == 429 and error["error"]["type"] == "rate_limit_error"
            status, error = first.result(timeout=30)
            assert status == 504 and error["error"]["code"] == "timeout"
    finally:
        running.close(stop_app=False)


def test_deleting_a_document_removes_its_model(served, tiny_model_dir):
    doc_id = served.lift("A short note about deleting. The note is gone after delete.", "To delete")
    assert served.call("GET", f"/v1/documents/{doc_id}")[1]["manifest"]["doc_id"] == doc_id
    status, body = served.call("DELETE", f"/v1/documents/{doc_id}")
    assert status == 200 and body["deleted"]
    assert f"lift:{doc_id}" not in [m["id"] for m in served.call("GET", "/v1/models")[1]["data"]]
    chat = {"model": f"lift:{doc_id}", "messages": [{"role": "user", "content": "q"}]}
    assert served.call("POST", "/v1/chat/completions", chat)[0] == 404
    assert served.call("DELETE", f"/v1/documents/{doc_id}")[0] == 404


def test_a_killed_lifting_job_leaves_the_store_consistent_and_resumes(served):
    text = DOC + " A third sentence makes this a new document, lifted for the kill test."
    doc_id = document_from_text(text).doc_id
    status, job = served.call("POST", "/v1/documents", {"text": text, "title": "Killed"})
    assert status == 202
    work = served.home / "work"
    deadline = time.monotonic() + 120
    while not list(work.glob(f"{doc_id}-*/checkpoints/epoch-*")):  # killed once an epoch is checkpointed
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    served.state.jobs._jobs[doc_id].process.kill()  # as if the lifting process died (OOM, kill -9)
    deadline = time.monotonic() + 30
    while (doc := served.call("GET", f"/v1/documents/{doc_id}")[1])["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert doc["status"] == "failed" and doc["error"]
    store = Store(served.home)
    assert store.get(doc_id) is None  # no half-lifted entry
    assert not [p for p in store.root.iterdir() if p.name.startswith(".staging-")]
    assert f"lift:{doc_id}" not in [m["id"] for m in served.call("GET", "/v1/models")[1]["data"]]

    served.lift(text, "Killed")  # uploading it again restarts the job, from the last checkpoint
    manifest = store.get(doc_id).manifest
    assert manifest.training.resumed_from_epoch >= 1
    assert not (served.home / "jobs" / doc_id).exists()


def test_interrupted_jobs_are_queued_again_at_start(tiny, tiny_model_dir, lift_home):
    config = _config(tiny_model_dir, **{"train.epochs": 2})
    jobs = LiftJobs(lift_home, config)
    job = jobs.submit(DOC, "Interrupted")  # written to disk, never run: the server stopped first
    assert (lift_home / "jobs" / job.doc_id / "document.txt").is_file()
    restarted = LiftJobs(lift_home, config).start()
    try:
        deadline = time.monotonic() + 120
        while restarted.get(job.doc_id)["status"] != "done":
            assert restarted.get(job.doc_id)["status"] in ("queued", "running"), restarted.get(job.doc_id)
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        restarted.close()
    assert Store(lift_home).get(job.doc_id) is not None


def test_non_loopback_bind_needs_a_key_or_insecure():
    check_bind("127.0.0.1", None, False)
    check_bind("::1", None, False)
    check_bind("0.0.0.0", "key", False)
    check_bind("0.0.0.0", None, True)
    with pytest.raises(Exception, match="refusing to bind 0.0.0.0"):
        check_bind("0.0.0.0", None, False)
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0"], env={"LIFT_API_KEY": ""})
    assert result.exit_code == 1 and "refusing to bind" in result.output


def test_the_job_dir_is_written_in_one_step(tiny_model_dir, lift_home):
    """submit() stages the upload and renames it into place, so a crash never leaves a job without its text."""
    jobs = LiftJobs(lift_home, _config(tiny_model_dir))
    job = jobs.submit(OTHER, "Paris")
    job_dir = lift_home / "jobs" / job.doc_id
    assert sorted(p.name for p in job_dir.iterdir()) == ["document.txt", "job.json"]
    assert not [p for p in (lift_home / "jobs").iterdir() if p.name.startswith(".")]
    shutil.rmtree(job_dir)


def test_status_file_survives_two_threads_reporting_at_once(tmp_path):
    """The pipeline reports generation and training progress from two threads; each write must stay atomic
    (they once shared one temp file, and a lift failed with FileNotFoundError)."""
    from lift.serve.lift_job import StatusFileProgress, read_status

    progress = StatusFileProgress(tmp_path, every_s=0.0)
    errors = []

    def report(name: str) -> None:
        try:
            task = progress.task(name, 300)
            for _ in range(300):
                task.advance()
        except Exception as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=report, args=(name,)) for name in ("generate", "train")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    status = read_status(tmp_path)
    assert status["state"] == "running" and {t["stage"] for t in status["tasks"]} == {"generate", "train"}


def test_waiting_requests_for_the_same_model_share_a_batch_even_when_interleaved(tiny, tiny_model_dir):
    """A, B, A, B, A waiting: one batch of the three A's, then the two B's (A and B differ in answer length)."""
    engine = ChatEngine(tiny, _config(tiny_model_dir, **{"serve.batch_size": 8}))  # worker not started

    def job(max_tokens: int) -> ChatJob:
        return ChatJob([], "q", None, "no_context", max_tokens, deadline=time.monotonic() + 60)

    jobs = [job(4), job(5), job(4), job(5), job(4)]
    for waiting in jobs:
        engine.submit(waiting)
    assert engine._next_batch() == [jobs[0], jobs[2], jobs[4]]
    assert engine._next_batch() == [jobs[1], jobs[3]]
    assert engine.queued() == 0


def test_a_plain_text_upload_is_the_same_document(served):
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    status, doc = served.call("POST", "/v1/documents?title=Paris%20again", raw=OTHER.encode(), headers=headers)
    assert status == 200 and doc["id"] == served.other_id and doc["status"] == "done"  # already lifted


def test_lora_and_gated_memory_documents_answer_as_the_library_does(tiny, lift_home):
    """The engine's own adapter handling (LoRA slots in one PeftModel, Gated Memory attached per request, the
    base with adapters off) gives the answers `lift ask` gives, in any order."""
    from conftest import lifted_entry

    lora = lifted_entry(tiny, lift_home, "lora", "aaaaaaaaaaaaaaaa")
    gated = lifted_entry(tiny, lift_home, "gated_memory", "bbbbbbbbbbbbbbbb")
    infer = LiftConfig().infer
    kwargs = {"window": tiny.window, "max_new_tokens": 8, "system": infer.system_prompt,
              "base_system": infer.base_system_prompt, "beams": infer.beams,
              "choosing": Choosing.of(infer)}  # fmt: skip
    expected = {None: answer_question(tiny.model, tiny.tokenizer, QUESTION, "no_context", **kwargs).text}
    for entry in (lora, gated):
        adapter = load_adapter(tiny.model, entry.adapter_dir)
        expected[entry.doc_id] = answer_question(adapter, tiny.tokenizer, QUESTION, "lift_only", **kwargs).text
        adapter.unload()
    assert len(set(expected.values())) == 3  # each adapter changes the answer

    engine = ChatEngine(tiny, LiftConfig()).start()
    try:
        for entry in (gated, None, lora, gated, None, lora):  # gated memory before and after a PeftModel exists
            mode = "lift_only" if entry else "no_context"
            job = engine.prepare(ChatJob([], QUESTION, entry, mode, 8, deadline=time.monotonic() + 60))
            assert engine.submit(job).result(timeout=60).text == expected[entry.doc_id if entry else None]
    finally:
        engine.close()


def test_auto_reads_a_documents_gate_once_and_again_after_a_new_lift(tiny, lift_home, monkeypatch):
    from lift.infer.gate import GATE_FILE, QuestionGate
    from lift.infer.rag import embed
    from lift.store.manifest import AdapterRecord, GateRecord, Manifest

    def lift_with_gate(sentence: str) -> None:
        manifest = Manifest(DOC_ID, tiny.name, AdapterRecord("lora"), gate=GateRecord(threshold=0.5))

        def fill(staging):
            (staging / "adapter").mkdir()
            QuestionGate(embed([sentence]), 0.5).save(staging / GATE_FILE)
            manifest.write(staging / "manifest.json")

        Store(lift_home).write(DOC_ID, fill, overwrite=True)

    DOC_ID = "cccccccccccccccc"
    reads = []
    real_load = QuestionGate.load.__func__
    monkeypatch.setattr(QuestionGate, "load", classmethod(lambda cls, *a: reads.append(a) or real_load(cls, *a)))
    engine = ChatEngine(tiny, LiftConfig())  # worker not started: prepare() alone routes

    def route(question: str) -> str:
        entry = Store(lift_home).get(DOC_ID)
        return engine.prepare(ChatJob([], question, entry, "auto", 8, deadline=time.monotonic() + 60)).route

    lift_with_gate(FACT)
    assert [route(QUESTION), route("What is the capital of France?"), route(QUESTION)] == ["adapter", "base", "adapter"]
    assert len(reads) == 1
    lift_with_gate(OTHER)  # the same document id lifted again: its new gate is read, not the cached one
    assert route("What is the capital of France?") == "adapter" and len(reads) == 2
    engine.forget(DOC_ID)
    assert route("What is the capital of France?") == "adapter" and len(reads) == 3


def test_a_cached_gate_keeps_its_whole_document_anchors(tiny, lift_home):
    """The engine cached a gate's chunk and general vectors only: from the second question on, 'What is this
    essay about?' lost its anchors and went to the base model."""
    from lift.infer.gate import GATE_FILE, WHOLE_DOCUMENT_QUESTIONS, QuestionGate
    from lift.infer.rag import embed
    from lift.store.manifest import AdapterRecord, GateRecord, Manifest
    from lift.synth.replay import replay_prompts

    doc_id = "dddddddddddddddd"
    gate = QuestionGate(embed([FACT]), 0.0, embed(replay_prompts()), embed(list(WHOLE_DOCUMENT_QUESTIONS)))
    manifest = Manifest(
        doc_id, tiny.name, AdapterRecord("lora"), gate=GateRecord(threshold=0.0, scoring="margin+anchors")
    )

    def fill(staging):
        (staging / "adapter").mkdir()
        gate.save(staging / GATE_FILE)
        manifest.write(staging / "manifest.json")

    Store(lift_home).write(doc_id, fill)
    engine = ChatEngine(tiny, LiftConfig())
    entry = Store(lift_home).get(doc_id)
    routes = [
        engine.prepare(ChatJob([], "What is this essay about?", entry, "auto", 8, deadline=time.monotonic() + 60)).route
        for _ in range(2)
    ]
    assert routes == ["adapter", "adapter"]


def test_lift_icl_of_a_frozen_reading_adapter_reads_each_document_once(tiny, lift_home):
    """Issue Q: an adapter trained on the base model's reading of the cut answers lift_icl the same way here: the
    cut read by the base model once and kept, each question read after it with the adapter."""
    from lift.recipe import lift_document

    settings = {"train.epochs": 1, "train.min_steps": 0, "train.replay_ratio": 0.0, "train.batch_tokens": 128,
                "train.qa_context_share": 1.0, "train.context_reading": "frozen", "infer.gate": False}  # fmt: skip
    config = LiftConfig().with_overrides(settings)
    entry = lift_document(document_from_text(DOC), tiny, config, home=lift_home).entry
    engine = ChatEngine(tiny, config).start()
    try:
        questions = [QUESTION, "Where should I sit in San Francisco?"]
        answers = []
        for question in questions:
            job = engine.prepare(ChatJob([], question, entry, "lift_icl", 8, deadline=time.monotonic() + 60))
            answers.append(engine.submit(job).result(timeout=60).text)
        assert engine.readings_made == 1  # the second question read after the first one's reading
    finally:
        engine.close()
    adapter = load_adapter(tiny.model, entry.adapter_dir)
    try:
        kwargs = {"document": DOC, "window": tiny.window, "max_new_tokens": 8, "system": config.infer.system_prompt}
        expected = [
            answer_question(adapter, tiny.tokenizer, q, "lift_icl", frozen=True, **kwargs).text for q in questions
        ]
    finally:
        adapter.unload()
    assert answers == expected


def test_lift_icl_reads_a_documents_cut_once_with_its_adapter(tiny, lift_home):
    """Issue Q: lift_icl of an adapter trained without a frozen reading reads the cut with the adapter once and
    answers later questions after that reading, as if each read it again; forgetting the entry drops it."""
    from lift.recipe import lift_document

    settings = {"train.epochs": 1, "train.min_steps": 0, "train.replay_ratio": 0.0, "train.batch_tokens": 128,
                "infer.gate": False}  # fmt: skip
    config = LiftConfig().with_overrides(settings)
    entry = lift_document(document_from_text(DOC), tiny, config, home=lift_home).entry
    engine = ChatEngine(tiny, config).start()
    questions = [QUESTION, "Where should I sit in San Francisco?", "What should I eat?"]
    try:
        answers = []
        for question in questions:
            job = engine.prepare(ChatJob([], question, entry, "lift_icl", 8, deadline=time.monotonic() + 60))
            answers.append(engine.submit(job).result(timeout=60).text)
        assert engine.readings_made == 1
        engine.forget(entry.doc_id)
        job = engine.prepare(ChatJob([], questions[0], entry, "lift_icl", 8, deadline=time.monotonic() + 60))
        assert engine.submit(job).result(timeout=60).text == answers[0]
        assert engine.readings_made == 2
    finally:
        engine.close()
    adapter = load_adapter(tiny.model, entry.adapter_dir)
    try:
        kwargs = {"document": DOC, "window": tiny.window, "max_new_tokens": 8, "system": config.infer.system_prompt}
        expected = [answer_question(adapter, tiny.tokenizer, q, "lift_icl", **kwargs).text for q in questions]
    finally:
        adapter.unload()
    assert answers == expected
