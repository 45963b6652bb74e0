import pytest

from lift.errors import LiftError
from lift.infer import answer_question, build_prompt_ids
from lift.prompting import chat_prompt_ids


def test_context_free_modes_have_no_document(tiny):
    for mode in ("lift_only", "no_context"):
        ids = build_prompt_ids(tiny.tokenizer, "Who?", mode, "A long document.", 512, 16, "sys")
        assert ids == chat_prompt_ids(tiny.tokenizer, "Who?", "sys")


def test_icl_keeps_head_and_tail_within_the_window(tiny):
    tok = tiny.tokenizer
    document = "HEADMARK " + " ".join(f"filler{i}" for i in range(400)) + " TAILMARK"
    ids = build_prompt_ids(tok, "Where is the castle?", "icl", document, window=200, max_new_tokens=20, system=None)
    assert len(ids) + 20 <= 200
    text = tok.decode(ids)
    assert "HEADMARK" in text and "TAILMARK" in text and "filler200" not in text
    assert "Where is the castle?" in text
    short = build_prompt_ids(tok, "Q?", "lift_icl", "A short document.", window=200, max_new_tokens=20, system=None)
    assert "A short document." in tok.decode(short)


def test_context_tokens_caps_the_document_in_the_prompt(tiny):
    tok = tiny.tokenizer
    document = "HEADMARK " + " ".join(f"filler{i}" for i in range(400)) + " TAILMARK"
    whole = build_prompt_ids(tok, "Where?", "lift_icl", document, window=400, max_new_tokens=20, system=None)
    capped = build_prompt_ids(tok, "Where?", "lift_icl", document, 400, 20, None, context_tokens=60)
    frame = len(build_prompt_ids(tok, "Where?", "lift_icl", "x", 400, 20, None)) - 1
    assert len(whole) + 20 == 400  # no cap: the window decides
    assert len(capped) - frame <= 62  # the cut, re-encoded, may shift a token at each end
    text = tok.decode(capped)
    assert "HEADMARK" in text and "TAILMARK" in text and "filler100" not in text
    short = build_prompt_ids(tok, "Where?", "icl", "A short document.", 400, 20, None, context_tokens=60)
    assert short == build_prompt_ids(tok, "Where?", "icl", "A short document.", 400, 20, None)


def test_mode_errors(tiny):
    with pytest.raises(LiftError, match="unknown mode"):
        build_prompt_ids(tiny.tokenizer, "Q?", "telepathy", None, 512, 16, None)
    with pytest.raises(LiftError, match="needs the document"):
        build_prompt_ids(tiny.tokenizer, "Q?", "icl", None, 512, 16, None)
    with pytest.raises(LiftError, match="needs a lifted adapter"):
        answer_question(tiny.model, tiny.tokenizer, "Q?", "lift_only", window=512, max_new_tokens=4)


def test_general_answers_are_matched_on_whole_words_with_alternatives():
    from lift.demo import answers_correctly

    assert answers_correctly("There are 4 legs on a dog.", ["four|4"])
    assert answers_correctly("A dog has Four legs.", ["four|4"])
    assert not answers_correctly("A day is about 8 hours and 40 minutes.", ["four|4"])
    assert not answers_correctly("Paris and", ["Paris", "France"])


def test_the_adapter_answers_with_its_trained_system_turn_and_the_base_model_with_its_own(tiny):
    from lift.adapters import attach_lora
    from lift.config import LoraConfig
    from lift.infer.modes import system_for

    assert system_for("lift_only", "", "Be helpful.") == "" and system_for("lift_icl", "", "Be helpful.") == ""
    assert system_for("no_context", "", "Be helpful.") == "Be helpful." and system_for("rag", "", "B") == "B"
    adapter = attach_lora(tiny.model, LoraConfig(rank=2, alpha=4))
    try:
        kwargs = {"window": tiny.window, "max_new_tokens": 2, "system": "", "base_system": "Be helpful."}
        lifted = answer_question(adapter, tiny.tokenizer, "Why?", "lift_only", **kwargs)
        base = answer_question(adapter, tiny.tokenizer, "Why?", "no_context", **kwargs)
        routed = answer_question(adapter, tiny.tokenizer, "Why?", "auto", **kwargs)  # no gate: the adapter
    finally:
        adapter.unload()
    assert lifted.prompt_tokens == len(chat_prompt_ids(tiny.tokenizer, "Why?", ""))
    assert base.prompt_tokens == len(chat_prompt_ids(tiny.tokenizer, "Why?", "Be helpful."))
    assert routed.route == "adapter" and routed.prompt_tokens == lifted.prompt_tokens


@pytest.mark.parametrize("kind", ["lora", "gated_memory"])
def test_reading_a_shared_prefix_once_writes_what_reading_each_prompt_whole_writes(tiny, kind):
    import torch

    from lift.adapters import attach_adapter
    from lift.config import AdapterConfig, LoraConfig
    from lift.infer.generation import generate_after_prefix, generate_rows, shared_prefix_length

    adapter = attach_adapter(tiny.model, AdapterConfig(type=kind, gate_init_bias=0.0), LoraConfig(rank=4, alpha=8))
    torch.manual_seed(3)
    with torch.no_grad():
        for param in adapter.trainable():
            param.add_(torch.randn_like(param) * 0.2)  # an adapter that changes the keys and values it caches
    tok = tiny.tokenizer
    document = " ".join(["The secret code of the blue castle is zebra seven."] * 10)
    questions = ["What is the secret code?", "Where?", "What does the text say about Paris and the castle?"]
    prompts = [build_prompt_ids(tok, q, "icl", document, 512, 8, None) for q in questions]
    shared = shared_prefix_length(prompts)
    assert shared > 100 and all(shared < len(p) for p in prompts)
    whole = [generate_rows(adapter.model, tok, [p], 8)[0] for p in prompts]
    for batch_size in (1, 2, 3):  # tails of different lengths padded in one batch, and a batch of one
        batches = list(generate_after_prefix(adapter.model, tok, prompts, 8, shared, batch_size=batch_size))
        assert [len(b) for b in batches] == {1: [1, 1, 1], 2: [2, 1], 3: [3]}[batch_size]
        once = [c for batch in batches for c in batch]
        assert [(c.text, c.tokens) for c in once] == [(c.text, c.tokens) for c in whole]
    with pytest.raises(ValueError, match="do not share"):
        list(generate_after_prefix(adapter.model, tok, prompts, 8, shared + 1))
    assert shared_prefix_length([[1, 2, 3], [1, 2, 3]]) == 2  # one token is left for generation to read


def test_questions_about_one_long_document_get_the_same_cut_of_it(tiny):
    from lift.infer.modes import question_overhead

    tok = tiny.tokenizer
    document = "HEADMARK " + " ".join(f"filler{i}" for i in range(400)) + " TAILMARK"
    questions = ["Where?", "Where is the castle of the blue king and the green queen?"]
    room = max(question_overhead(tok, q, None) for q in questions)
    alone = [build_prompt_ids(tok, q, "icl", document, 200, 20, None) for q in questions]
    together = [build_prompt_ids(tok, q, "icl", document, 200, 20, None, room_for=room) for q in questions]
    assert together[1] == alone[1]  # the longest question's cut is the one everybody gets
    assert together[0] != alone[0] and len(together[0]) < len(alone[0])
    assert all(len(ids) + 20 <= 200 for ids in together)
    cut = [tok.decode(ids).split("Answer the question")[0] for ids in together]
    assert cut[0] == cut[1] and "HEADMARK" in cut[0] and "TAILMARK" in cut[0]


def test_the_same_cut_holds_where_re_encoding_the_cut_shifts_tokens(tiny):
    from lift.infer.generation import shared_prefix_length
    from lift.infer.modes import question_overhead

    tok = tiny.tokenizer  # words it never saw fall apart into bytes, and the cut re-encodes differently
    document = "HEADMARK " + " ".join(f"filler{i} ünïcødé—{i % 7}" for i in range(300)) + " TAILMARK"
    questions = ["Where?", "Where is the castle of the blue king and the green queen?", "Who is the green queen?"]
    room = max(question_overhead(tok, q, None) for q in questions)
    for window in range(150, 400, 7):
        prompts = [build_prompt_ids(tok, q, "icl", document, window, 20, None, room_for=room) for q in questions]
        assert all(len(p) + 20 <= window for p in prompts)
        shared = shared_prefix_length(prompts)
        assert all(len(p) - shared <= 40 for p in prompts), window  # they differ in their question only
