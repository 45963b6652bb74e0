"""LIFT - Long Input Fine-Tuning: store a long document in an adapter's parameters and answer from it."""

from lift.errors import LiftError

__version__ = "0.1.0"
__all__ = ["LiftError", "__version__"]
