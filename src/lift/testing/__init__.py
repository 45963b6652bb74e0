"""Scaffolding for tests and benchmarks (like numpy.testing); the product never imports it."""
