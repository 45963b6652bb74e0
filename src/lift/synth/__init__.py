"""Synthetic tasks: per-sentence QA pairs written by a generator, parsed, grounded and cached."""

from lift.synth.generate import SynthResult, SynthStats, synthesize_qa
from lift.synth.types import QAPair, SentenceRequest

__all__ = ["QAPair", "SentenceRequest", "SynthResult", "SynthStats", "synthesize_qa"]
