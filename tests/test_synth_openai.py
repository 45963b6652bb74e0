"""The openai generator against the fault-injecting server on loopback: injected faults are retried or
skipped, the run completes, and the counts in the report are exact."""

import time

import pytest

from lift.config import SynthConfig
from lift.errors import LiftError
from lift.synth.cache import GenerationCache
from lift.synth.generate import build_jobs, generate_pairs
from lift.synth.openai_backend import OpenAIGenerator
from lift.testing.fault_server import FaultRule, FaultServer
from lift.testing.synthesis import synthesize_qa

SENTENCES = [f"Sentence number {i} says that the {w} lives in Lisbon near the river." for i, w in enumerate(
    ["baker", "tailor", "painter", "sailor", "doctor", "teacher", "farmer", "singer", "writer", "miller"]
)]  # fmt: skip
LAST = "The last part of the paragraph:\n"  # rules match the sentence a request is about, not its context


def rule(i: int, *faults: str, always: bool = False) -> FaultRule:
    return FaultRule(LAST + SENTENCES[i], tuple(faults), always)


def client(server: FaultServer, **kwargs) -> OpenAIGenerator:
    settings = {"concurrency": 4, "timeout": 1.0, "max_retries": 2, "backoff_base": 0.01, **kwargs}
    return OpenAIGenerator(server.url, "fault-model", **settings)


def test_injected_faults_are_retried_or_skipped_and_counted_exactly(tmp_path):
    rules = [
        rule(1, "429"),  # retried once, then fine
        rule(2, "500", "503"),  # retried twice, then fine
        rule(3, "timeout"),  # the client gives up after 1 s, retries
        rule(4, "malformed", always=True),  # unreadable every time: skipped after 1 + 2 attempts
        rule(5, "truncated"),  # half a JSON body once
        rule(6, "prose", always=True),  # a well-formed reply with no pairs in it: parsed as malformed output
    ]
    with FaultServer(rules=rules, hang_seconds=5) as server, GenerationCache(tmp_path / "c.sqlite") as cache:
        generator = client(server)
        result = synthesize_qa("doc", SENTENCES, generator, cache, SynthConfig(qa_per_sentence=2))
        stats = result.stats
        assert stats.jobs == 10
        assert stats.requests == server.log.requests == 10 + 1 + 2 + 1 + 2 + 1  # first tries + retries
        assert stats.retried == 1 + 2 + 1 + 2 + 1
        assert stats.failed == 1  # sentence 4
        assert stats.request_failures == {"429": 1, "500": 1, "503": 1, "timeout": 1, "unreadable_response": 4}
        assert stats.generations == 9 and len(cache) == 9  # the skipped job is not cached: a rerun retries it
        assert stats.rejected == {"malformed_output": 1}  # the prose reply
        assert {p.sentence_index for p in result.pairs} == {0, 1, 2, 3, 5, 7, 8, 9}
        assert (
            stats.generator_tokens_in > stats.generator_tokens_out > 0
        )  # the usage the server reported (word counts), summed

        # a rerun gets 9 outputs from the cache and asks only for the skipped one (which fails again)
        again = synthesize_qa("doc", SENTENCES, client(server), cache, SynthConfig(qa_per_sentence=2))
        assert again.stats.cache_hits == 9 and again.stats.requests == 3 and again.stats.failed == 1
        assert [(p.question, p.answer) for p in again.pairs] == [(p.question, p.answer) for p in result.pairs]


def test_concurrency_is_bounded_and_a_slow_request_delays_only_its_own_pairs(tmp_path):
    with (
        FaultServer(latency=0.2, rules=[rule(0, "slow")], slow_seconds=2.0) as server,
        GenerationCache(tmp_path / "c.sqlite") as cache,
    ):
        arrivals: list[tuple[float, int]] = []
        started = time.perf_counter()
        generator, config = client(server, timeout=10.0, concurrency=3), SynthConfig(qa_per_sentence=1)
        generate_pairs(
            build_jobs("doc", SENTENCES, config, generator), generator, cache, config,
            lambda pair: arrivals.append((time.perf_counter() - started, pair.sentence_index)),
        )  # fmt: skip
    assert server.log.max_in_flight == 3
    order = [index for _, index in arrivals]
    assert order[-1] == 0  # the first sentence's slow request finished last ...
    # ... while the other nine went through the remaining two slots: 5 rounds of 0.2 s, not behind it
    assert max(t for t, index in arrivals if index != 0) < 1.8
    assert 2.0 <= arrivals[-1][0] < 3.0


@pytest.mark.parametrize("problem", ["wrong key", "wrong path"])
def test_a_rejected_key_or_bad_url_stops_the_run_with_the_servers_answer(tmp_path, monkeypatch, problem):
    monkeypatch.setenv("LIFT_TEST_KEY", "not-the-key")
    with FaultServer(api_key="the-key") as server, GenerationCache(tmp_path / "c.sqlite") as cache:
        url = server.url if problem == "wrong key" else server.url.replace("/v1", "/nope")
        generator = OpenAIGenerator(url, "m", api_key_env="LIFT_TEST_KEY", max_retries=3, backoff_base=0.01)
        status = "401" if problem == "wrong key" else "404"
        with pytest.raises(LiftError, match=f"answered {status}"):
            synthesize_qa("doc", SENTENCES[:4], generator, cache, SynthConfig())
        assert generator.counters.retried == 0  # no point in retrying a configuration error


def test_an_unreachable_server_skips_every_item_and_counts_it(tmp_path):
    with FaultServer() as server:
        url = server.url
    with GenerationCache(tmp_path / "c.sqlite") as cache:
        generator = OpenAIGenerator(url, "m", max_retries=1, backoff_base=0.01, timeout=2.0)
        result = synthesize_qa("doc", SENTENCES[:3], generator, cache, SynthConfig())
        assert len(cache) == 0
    assert result.stats.failed == 3 and result.stats.requests == 6
    assert result.stats.request_failures == {"connection": 6}
    assert result.pairs == []
