"""Efficiency measurements: matmul peak, training FLOPs, answer latency."""
