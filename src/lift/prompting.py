"""Chat formatting shared by training, generation and answering, so a prompt looks the same in all three."""

from __future__ import annotations

from transformers import PreTrainedTokenizerBase


def chat_prompt_ids(
    tokenizer: PreTrainedTokenizerBase, user: str, system: str | None = None, history: list[dict] | None = None
) -> list[int]:
    """Token ids of a conversation up to where the assistant starts writing: the system message, earlier
    turns (`history`: {"role", "content"} dicts, user and assistant; a system message there replaces
    `system`), then `user`.

    Models without a chat template (base models) get a plain 'Question/Answer' layout instead.
    """
    history = list(history or [])
    if history and history[0]["role"] == "system":
        system, history = history[0]["content"], history[1:]
    if tokenizer.chat_template:
        # "" is an empty system turn, never the template's own default system prompt (SmolLM2 adds 20 tokens)
        messages = [{"role": "system", "content": system}] if system is not None else []
        messages += [*history, {"role": "user", "content": user}]
        ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
        if isinstance(ids, dict) or hasattr(ids, "input_ids"):  # transformers 5 returns a BatchEncoding
            ids = ids["input_ids"]
        return list(ids)
    turns = "".join(
        f"Question: {m['content']}\n" if m["role"] == "user" else f"Answer: {m['content']}\n" for m in history
    )
    text = (f"{system}\n\n" if system else "") + turns + f"Question: {user}\nAnswer:"
    ids = tokenizer(text, add_special_tokens=True)["input_ids"]
    return list(ids)


def answer_ids(tokenizer: PreTrainedTokenizerBase, answer: str) -> list[int]:
    """Token ids the model should write for an answer: the text, then the end-of-turn token."""
    text = answer if tokenizer.chat_template else " " + answer
    return list(tokenizer(text, add_special_tokens=False)["input_ids"]) + [end_of_turn_id(tokenizer)]


def end_of_turn_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The token that ends an assistant turn (ChatML's <|im_end|> is the eos of chat tokenizers)."""
    if tokenizer.eos_token_id is None:
        raise ValueError("tokenizer has no eos token")
    return int(tokenizer.eos_token_id)
