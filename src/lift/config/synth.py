"""The synthetic task generation section (SynthConfig): generators, template forms, grounding."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config.fields import _help

GENERATORS = ("template", "local", "openai")
AUX_ANSWERS = ("answer", "evidence_answer")
TEMPLATE_FORMS = (
    "definition",
    "key_phrase",
    "cloze",
    "succession",
    "wh",
    "about",
    "ask",
    "cue",
    "yes_no",
)
DEFAULT_TEMPLATE_FORMS = ("ask", "cue", "yes_no")
WORDS_PER_PAIR = 4  # synth.words_per_pair
GROUNDING = ("off", "overlap", "strict")


@dataclass
class SynthConfig:
    generator: str = _help(
        "Synthetic QA generator: 'template' (deterministic, built from each sentence; needs no model or server), "
        "'local' (the base model writes QA pairs; for base models large enough to follow the prompt) or 'openai' "
        "(any OpenAI-compatible server: vLLM, llama.cpp, Ollama, OpenAI).",
        "template",
    )
    prompt: str = _help(
        "Per-sentence prompt template: a built-in name (see `lift prompts`) or the path of a .yaml file.",
        "sentence-qa-v1",
    )
    aux_tasks: int = _help(
        "Auxiliary long-range QA with evidence (LIFT 2024 paper §3.2): windows of consecutive sentences, one "
        "question each, with verbatim evidence (the paper uses 10 per document). 0 disables.",
        0,
    )
    aux_window_sentences: int = _help("Sentences per auxiliary window (the LIFT 2024 paper uses 16).", 16)
    aux_prompt: str = _help(
        "Auxiliary prompt template (the LIFT 2024 paper's instructions, appendix B.1): aux-qa-v1 (LooGLE), "
        "aux-qa-brief-v1 (Musique: brief answers), aux-qa-details-v1 (NarrativeQA), or the path of a .yaml file.",
        "aux-qa-v1",
    )
    aux_answer: str = _help(
        "Training target of an auxiliary pair: 'answer', or 'evidence_answer' (evidence-augmented answers, LIFT "
        "blog appendix B: the evidence quoted, then the answer).",
        "answer",
    )
    generator_url: str | None = _help(
        "openai generator: base URL of the OpenAI-compatible API, e.g. http://localhost:8000/v1 (vLLM).",
        None,
        "speed",
    )
    generator_model: str | None = _help("openai generator: model name at generator_url.", None)
    generator_api_key_env: str = _help(
        "openai generator: environment variable with the API key (unset: 'EMPTY', which local servers accept).",
        "OPENAI_API_KEY",
        "speed",
    )
    concurrency: int = _help("openai generator: requests in flight at once.", 64, "speed")
    request_timeout: float = _help(
        "openai generator: seconds before a request is abandoned and retried.", 120.0, "speed"
    )
    max_retries: int = _help(
        "openai generator: retries of a request after 429/5xx/timeouts/unreadable replies (exponential backoff "
        "with jitter); then the item is skipped and counted, never the run.",
        5,
        "speed",
    )
    temperature: float = _help("openai generator: sampling temperature.", 0.7)
    max_tokens: int = _help("openai generator: max tokens per reply.", 512)
    qa_per_sentence: int = _help(
        "m: QA pairs per sentence (synthetic QA per sentence, LIFT 2025 paper §4.1): what an LLM generator is "
        "asked for, and the most the template generator keeps (one per 4 words of a sentence, at least 2; the "
        "yes_no form's yes/no pair comes on top).",
        6,
    )
    template_forms: list = _help(
        "template generator: the question forms to make of each sentence (the first qa_per_sentence pairs are "
        "kept). ask, cue and yes_no work phrase by phrase (every content phrase of the sentence in turn): ask: "
        "a question whose answer is the phrase, answered with the phrase, then the sentence ('Where did Maria "
        "leave the key?' -> 'Under the blue flowerpot: Maria left ...'); cue: a question naming the phrase, "
        "answered with the sentence restated with that phrase first; yes_no: 'What did <subject> do?' and the "
        "sentence as a yes/no question, after the phrases. The older forms answer with the whole sentence: "
        "definition ('What is X?' for 'X is Y.'), wh (who/what/where/when/how-many about the subject, object, "
        "places, dates and counts), about (two names, numbers or dates asked together), key_phrase ('What does "
        "the text say about <name>?'), cloze ('Complete the sentence: ...'), succession (the sentence after the "
        "previous one).",
        list(DEFAULT_TEMPLATE_FORMS),
    )
    words_per_pair: int = _help(
        "template generator, phrase forms: a sentence keeps one pair per this many of its words (at least 2, at "
        "most qa_per_sentence; the yes/no pair on top), so that short sentences cost less.",
        WORDS_PER_PAIR,
    )
    reask: int = _help(
        "template generator, ask form: other wordings of each question asked for a phrase, trained with the same "
        "answer: indirect ('Do you know where Maria left the key?'), a request ('Tell me where ...'), inside a "
        "longer message, a terse query ('Maria key: where?'), each phrase of a document another kind in turn. "
        "0: none. 1 (default since issue O): recall in users' own words +10 points on the rewording dev split "
        "for ~1.35x the training tokens.",
        1,
    )
    gist: bool = _help(
        "Whole-document tasks (lift.synth.gist), trained beside the QA: what the document is about, a summary "
        "and its main point as the base model answers them with the document in its window (a long document read "
        "a part at a time, then from the parts' gists; its most central sentences by all-MiniLM-L6-v2 where the "
        "answer is not grounded in the text), how it begins and ends, what each part of a long document covers, "
        "and the names it mentions most.",
        False,
    )
    restatements: int = _help(
        "Restatements per sentence trained as plain text (lift.data.restatements): the sentence with another of its "
        "phrases first (a fronted place or time, a passive), so each part of a fact leads to the rest. 0: none.",
        0,
    )
    context_chars: int = _help(
        "Characters of preceding text shown to the generator with each sentence (the LIFT reference "
        "implementation uses 2048).",
        2048,
    )
    grounding: str = _help(
        "Grounding filter: 'overlap' drops answers whose content words are not mostly in the sentence or its "
        "context; 'strict' keeps only answers whose every content word is in the sentence itself; 'off'.",
        "overlap",
    )
    grounding_min_overlap: float = _help(
        "Share of an answer's content words that must appear in the sentence or its context.", 0.6
    )
    local_max_new_tokens: int = _help("Max tokens the local generator writes per sentence.", 200)
    local_batch_size: int = _help("Sentences per batched generate() call of the local generator.", 8, "speed")
    min_sentence_chars: int = _help("Sentences shorter than this (after stripping) get no QA pairs.", 20)
