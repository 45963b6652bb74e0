"""`lift eval`: suites of questions, every answer mode on the same base model, scores and a report."""
