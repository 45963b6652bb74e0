"""What the teacher of context distillation reads: for a synthetic QA pair, the document chunk around the pair's
sentence and the question, laid out as the icl answer mode lays them out (the base model with the document in
its window); for a replay example, the general prompt alone with the base model's own system message.

The document is cut at sentence boundaries into consecutive chunks of at most distill.context_tokens tokens.
Every pair about a sentence of a chunk gets that chunk, so the teacher reads each chunk once and answers all
of its questions after it (lift.train.teacher shares the chunk's keys and values between them).
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase

from lift.infer.modes import ICL_TEMPLATE
from lift.prompting import chat_prompt_ids

NO_CHUNK = -1  # the teacher group of prompts that read no document


@dataclass
class TeacherPrompts:
    tokenizer: PreTrainedTokenizerBase
    system: str | None  # the base model's system message (infer.base_system_prompt)
    chunks: list[str]
    chunk_of_sentence: list[int]

    @classmethod
    def for_document(
        cls,
        tokenizer: PreTrainedTokenizerBase,
        sentences: list[str],
        context_tokens: int,
        system: str | None,
        window: int,
    ) -> TeacherPrompts:
        """Chunks of at most context_tokens tokens (and room left in the window for a question and its answer);
        a sentence longer than that is a chunk of its own."""
        budget = min(context_tokens, window - min(512, window // 2))  # the rest of the window: question, answer
        chunks: list[str] = []
        chunk_of: list[int] = []
        current: list[str] = []
        used = 0
        for sentence in sentences:
            tokens = len(tokenizer(sentence, add_special_tokens=False)["input_ids"]) + 1
            if current and used + tokens > budget:
                chunks.append(" ".join(current))
                current, used = [], 0
            current.append(sentence)
            used += tokens
            chunk_of.append(len(chunks))
        if current:
            chunks.append(" ".join(current))
        return cls(tokenizer, system, chunks, chunk_of)

    def for_question(self, question: str, sentence_index: int) -> tuple[int, tuple[int, ...]]:
        """(teacher group, prompt ids): the sentence's chunk, then the question, as the icl mode asks it."""
        chunk = self.chunk_of_sentence[min(max(sentence_index, 0), len(self.chunk_of_sentence) - 1)]
        text = ICL_TEMPLATE.format(document=self.chunks[chunk], question=question)
        return chunk, tuple(chat_prompt_ids(self.tokenizer, text, self.system))

    def for_general(self, prompt: str) -> tuple[int, tuple[int, ...]]:
        """(teacher group, prompt ids) of a general prompt: the base model as it answers without a document."""
        return NO_CHUNK, tuple(chat_prompt_ids(self.tokenizer, prompt, self.system))
