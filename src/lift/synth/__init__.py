"""Synthetic tasks: per-sentence QA pairs written by a generator (backend.py: the interface every backend
implements), parsed, grounded and cached (generate.py), with a record of what was kept and dropped (stats.py).
Import from the submodules; this package module stays empty so that reading a stored record is cheap."""
