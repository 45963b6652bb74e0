"""The answering sections: InferConfig, and RagConfig for the retrieval baseline."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config.fields import _help


@dataclass
class InferConfig:
    max_new_tokens: int = _help("Max tokens in an answer.", 64)
    context_tokens: int = _help(
        "icl and lift_icl: the most document tokens put before the question (its head and tail, the middle cut "
        "out). 0: as many as fit the model's window. A smaller value answers faster and, with lift_icl, leaves "
        "more of the document to the adapter.",
        0,
    )
    beams: int = _help(
        "lift_only, and auto's questions about the document: the adapter writes this many answers by beam search "
        "and the one closest to the question is kept (all-MiniLM-L6-v2 similarity plus infer.choice_weight times "
        "its log-probability per token plus infer.novelty_weight times the share of its words the question does "
        "not hold; lift.infer.candidates). 1: the greedy answer. Each beam costs about one more answer's decoding.",
        6,
    )
    choice_weight: float = _help(
        "infer.beams above 1: the weight of an answer's log-probability per token against its similarity to the "
        "question when one of the beams is chosen.",
        1.0,
    )
    novelty_weight: float = _help(
        "infer.beams above 1: the weight of the share of an answer's content words that are not words of the "
        "question, so that a beam which restates the question with a word or two changed is not kept for being "
        "close to it. 0.5 since issue O: the rewording dev split +2 points over three seeds, the needle's other "
        "wordings 69.5 -> 74.3 % on the NIAH cells 1k-8k.",
        0.5,
    )
    lift_icl_reading: str = _help(
        "lift_icl of an adapter trained on a frozen reading (train.context_reading frozen): 'as_trained' reads the "
        "document's cut with the adapter off, then the question with it, as it was trained; 'adapter' reads the "
        "cut with the adapter on, as vLLM and SGLang do (they apply a LoRA to every token). Other adapters read the "
        "cut with the adapter on, unless 'frozen': the cut read with the adapter off for any adapter, the question "
        "and the answer with it on.",
        "as_trained",
    )
    system_prompt: str = _help(
        "System message of the training examples and of the adapter's answers (lift_only, lift_icl, auto's "
        "questions about the document), the same in both. '': an empty system turn, not the chat template's own "
        "default system prompt (SmolLM2's adds 20 tokens to every example).",
        "",
        "learns",
    )
    base_system_prompt: str = _help(
        "System message of the base model's own answers: no_context, icl, rag, auto's other questions, and the "
        "replay answers the adapter learns to keep.",
        "You are a helpful assistant.",
        "learns",
    )
    gate: bool = _help(
        "Build the question gate of the auto answer mode at lift time: the document's chunks embedded with "
        "all-MiniLM-L6-v2 (stored with the entry) and a similarity threshold chosen on the synthetic questions "
        "against the general replay prompts. auto then answers questions about the document with the adapter and "
        "others with the base model. Off: auto answers everything with the adapter.",
        True,
    )


LIFT_ICL_READINGS = ("as_trained", "adapter", "frozen")
RETRIEVERS = ("minilm", "bm25")


@dataclass
class RagConfig:
    chunk_tokens: int = _help(
        "RAG chunk size in all-MiniLM-L6-v2 word pieces. The embedder reads at most 256 (and silently cuts the "
        "rest), so chunks are built to fit it: whole sentences packed up to this size.",
        200,
    )
    top_k: int = _help("RAG: chunks put in the prompt, best first.", 5)
