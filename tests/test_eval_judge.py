"""The optional LLM judge against a local OpenAI-compatible stub server (loopback, stops with the test)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lift.eval.items import EvalItem
from lift.eval.judge import Judge
from lift.text.documents import document_from_text


class StubJudge(BaseHTTPRequestHandler):
    mode = "judge"
    prompts: list[str] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][0]["content"]
        StubJudge.prompts.append(prompt)
        if StubJudge.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        truth = prompt.split("groundtruth = ")[1].split("\n")[0]
        predicted = prompt.split("predict_answer = ")[1]
        verdict = (
            "maybe" if StubJudge.mode == "confused" else ("True" if truth.lower() in predicted.lower() else "False")
        )
        reply = {
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": verdict}}],
        }  # fmt: skip
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StubJudge)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    StubJudge.mode, StubJudge.prompts = "judge", []
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


ITEM = EvalItem("loogle", "1", document_from_text("Ana was born in Porto."), "Where was Ana born?", ["Porto"], ("f1",))


def test_judge_uses_the_seed_prompt_and_reads_true_false(server):
    judge = Judge(server, "stub", "NO_SUCH_KEY_VARIABLE", timeout_s=5, max_retries=0)
    assert judge(ITEM, "She was born in Porto.") == 1.0
    assert judge(ITEM, "In Lisbon.") == 0.0
    assert StubJudge.prompts[0].startswith("Given one question, there is a groundtruth and a predict_answer.")
    assert (
        "Question: Where was Ana born?\ngroundtruth = Porto\npredict_answer = She was born in Porto."
        in StubJudge.prompts[0]
    )
    assert judge.failures == 0


@pytest.mark.parametrize("mode", ["error", "confused"])
def test_judge_failures_cost_a_score_not_the_run(server, mode):
    StubJudge.mode = mode
    judge = Judge(server, "stub", "NO_SUCH_KEY_VARIABLE", timeout_s=5, max_retries=0)
    assert judge(ITEM, "Porto") is None
    assert judge.failures == 1
