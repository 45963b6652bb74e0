"""The `lift serve` web page in headless Chromium, driven by Playwright: upload a document through the file
input (the needle and the essay's sentences around it), wait for the server to lift it, and ask the needle
question of the adapter (the real embedded model). LIFT_SCREENSHOT=docs/webui.png keeps the final page's
screenshot."""

from __future__ import annotations

import importlib.util
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from lift.config import LiftConfig
from lift.demo import needle_keywords_in
from lift.models import load_model
from lift.samples import NEEDLE_QUESTION, needle_sample
from lift.serve import build_server
from lift.testing.server_thread import ServerThread
from lift.text import split_sentences

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"  # Debian's package: Playwright's own browser download does not work here
# Without the networking flags Chromium keeps dialling Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEY = "ui-test-key"
LIFT_TIMEOUT_S = 600  # under a minute on a 2-core CPU
ANSWER_TIMEOUT_S = 180


def _browser_or_skip() -> None:
    """Skip where the browser is not installed, except in CI (.ci/run installs it): there it must run."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[dev]')")
    if not missing:
        return
    reason = "the web page test needs " + " and ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; CI must run it, not skip it")
    pytest.skip(reason)


@contextmanager
def _serving(app):
    """The app on a free loopback port in a thread; yields its URL."""
    running = ServerThread(app)
    try:
        yield running.url
    finally:
        running.close()


def test_web_page_uploads_lifts_and_answers_the_needle_question(lift_home: Path, tmp_path: Path):
    _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    loaded = load_model(None, "cpu")
    # The page is under test, not the recipe: the default recipe on the CPU like the server's model, and a short
    # document (tests/test_integration.py lifts the whole essay and checks general answers); fp32, so that a CPU
    # with bf16 trains as here; no replay (general answers are test_integration's to check).
    overrides = {"model.device": "cpu", "train.precision": "fp32", "train.replay_ratio": 0.0}
    config = LiftConfig().with_overrides(overrides)
    screenshot = Path(os.environ.get("LIFT_SCREENSHOT") or tmp_path / "webui.png")
    sentences = split_sentences(needle_sample().text)
    needle = next(n for n, sentence in enumerate(sentences) if "San Francisco" in sentence)
    sample_path = tmp_path / "needle_excerpt.txt"
    sample_path.write_text(" ".join(sentences[needle - 4 : needle + 3]), encoding="utf-8")
    page_errors: list[str] = []

    with _serving(build_server(loaded, config, lift_home, api_key=KEY)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 820})
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.goto(url + "/")
            expect(page.locator("#status")).not_to_have_text("")  # no key yet: the list load was refused
            page.fill("#key", KEY)
            page.press("#key", "Tab")  # the page reads the key on change, as when a user leaves the field
            expect(page.locator("#status")).to_have_text("")  # the keyless first load's 401 is gone
            page.set_input_files("#file", str(sample_path))
            page.click("#upload")
            upload_started = time.monotonic()

            # bounded wait for the job: done, or failed (with the error the page shows)
            finished = 'li.doc[data-status="done"], li.doc[data-status="failed"]'
            item = page.wait_for_selector(finished, timeout=LIFT_TIMEOUT_S * 1000)
            assert item.get_attribute("data-status") == "done", item.inner_text()
            doc_id = item.get_attribute("data-id")
            expect(page.locator("#status")).to_have_text(f"document {doc_id}: done")

            lift_seconds = time.monotonic() - upload_started
            item.click()
            assert page.input_value("#model") == f"lift:{doc_id}"
            page.select_option("#mode", "lift_only")
            page.fill("#question", NEEDLE_QUESTION)
            page.click("#send")
            bubble = page.wait_for_selector('#log .msg[data-done="1"]', timeout=ANSWER_TIMEOUT_S * 1000)
            answer = bubble.inner_text()
            assert bubble.get_attribute("class") == "msg assistant", answer  # "msg error" shows a failure

            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    print(f"lifted in {lift_seconds:.0f} s; answer: {answer!r}")
    assert len(needle_keywords_in(answer)) >= 2, answer  # the integration test's bar for the same lift
    assert not page_errors, page_errors
