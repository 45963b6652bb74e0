"""The answer modes' names, torch-free so the command line can check a --mode without loading torch."""

MODES = ("lift_only", "lift_icl", "icl", "no_context", "rag", "rag_bm25", "auto")
ADAPTER_MODES = ("lift_only", "lift_icl", "auto")
RAG_RETRIEVERS = {"rag": "minilm", "rag_bm25": "bm25"}
ICL_MODES = ("lift_icl", "icl")  # the document itself in the prompt (head and tail where it is too long)
# auto: the question gate's route -> the mode the question is answered in
GATED_MODES = {"adapter": "lift_only", "base": "no_context"}
