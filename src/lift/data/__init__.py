"""Tasks -> tokenized, loss-masked examples -> packed batches."""

from lift.data.examples import IGNORE_INDEX, Example, qa_example
from lift.data.objectives import TrainingPlan, segment_spans, training_plan
from lift.data.packing import PackedBatch, pack_examples, pack_stream

__all__ = [
    "IGNORE_INDEX",
    "Example",
    "PackedBatch",
    "TrainingPlan",
    "pack_examples",
    "pack_stream",
    "qa_example",
    "segment_spans",
    "training_plan",
]
