"""The answer modes' names, torch-free so the command line can check a --mode without loading torch."""

MODES = ("lift_only", "lift_icl", "icl", "no_context", "rag", "rag_bm25")
ADAPTER_MODES = ("lift_only", "lift_icl")
RAG_RETRIEVERS = {"rag": "minilm", "rag_bm25": "bm25"}
