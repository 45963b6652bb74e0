"""The evaluation section (EvalConfig, `lift eval`) and the splits and needles its suites ask."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config.fields import _help

PARAPHRASE_SPLITS = ("test", "dev", "all")
REWORDING_SPLITS = ("test", "dev", "all")
GIST_SPLITS = ("test", "dev", "all")
GENERAL_SPLITS = ("test", "dev")
SQUAD_SPLITS = ("test", "dev")
NIAH_NEEDLES = ("sf", "dev", "facts")


@dataclass
class EvalConfig:
    data_dir: str | None = _help(
        "Benchmark data folder (niah/squad/loogle/longbench sub-folders); None: $LIFT_DATA, else ../shared/data.",
        None,
        "selects",
    )
    seed: int = _help("Seed for item sampling and bootstrap resampling.", 0)
    bootstrap_samples: int = _help("Bootstrap resamples for the 95% confidence intervals.", 1000, "selects")
    niah_lengths: list = _help(
        "NIAH haystack lengths in tokens (needle included).", [1000, 2000, 4000, 8000, 16000, 32000], "selects"
    )
    niah_depths: list = _help(
        "NIAH needle depths in percent of the haystack.", [float(d) for d in range(0, 101, 10)], "selects"
    )
    niah_needle: str = _help(
        "NIAH needle: sf (the San Francisco needle, scored), dev (another needle in another haystack, for "
        "choosing settings) or facts (five needles of other shapes: a password, a place, a time, a count, a "
        "person; each in its own haystack of fiction or essays, asked in its own words and two others).",
        "sf",
    )
    paraphrase_split: str = _help(
        "Which facts of the paraphrase suite to ask: test (scored), dev (for choosing levers and thresholds) or all.",
        "test",
    )
    paraphrase_tokens: int = _help(
        "Paraphrase: cut every haystack to this many tokens (its facts kept); 0: each haystack's own length.", 0
    )
    rewording_split: str = _help(
        "Which facts of the rewording suite to ask: dev (120 facts, 600 questions: where defaults are chosen), test "
        "(40 facts, scored once) or all.",
        "test",
    )
    gist_split: str = _help(
        "Which documents of the gist suite (questions about a document as a whole) to ask: dev (8 documents, 64 "
        "questions: where settings are chosen), test (8 documents, 62 questions, scored once) or all.",
        "test",
    )
    general_split: str = _help(
        "Which general questions the forgetting check asks: test (scored: 40 questions after lifting the demo "
        "essay) or dev (for choosing levers: 54 other questions after lifting the paraphrase suite's dev haystacks, "
        "cut to eval.paraphrase_tokens; a --document given replaces them).",
        "test",
    )
    squad_questions: int = _help("SQuAD: questions drawn (whole passages, seeded), SEAL protocol.", 200, "selects")
    squad_split: str = _help(
        "Which SQuAD passages to draw: test (scored: from the front of the seeded passage order) or dev (for "
        "choosing levers: from its back end, so never a test passage).",
        "test",
    )
    longbench_tasks: list = _help(
        "LongBench tasks to run.", ["narrativeqa", "musique", "qmsum", "gov_report", "passage_retrieval_en"], "selects"
    )
    longbench_per_task: int = _help("LongBench samples per task, shortest contexts first; 0: all.", 0, "selects")
    judge_url: str | None = _help("OpenAI-compatible base URL of an LLM judge (LooGLE); None: no judge.", None)
    judge_model: str = _help("Judge model name at judge_url (the LIFT 2025 paper's judge).", "gpt-4.1-nano")
    judge_api_key_env: str = _help("Environment variable holding the judge's API key.", "OPENAI_API_KEY")
