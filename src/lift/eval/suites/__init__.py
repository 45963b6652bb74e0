"""Evaluation suites: each turns its data into EvalItems (documents, questions, references, metrics)."""

from lift.eval.suites.registry import DEFAULT_MODES, SUITES, load_suite

__all__ = ["DEFAULT_MODES", "SUITES", "load_suite"]
