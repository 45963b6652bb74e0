"""`python -m lift.cli` (how `lift train --nproc N` runs itself under torchrun)."""

from lift.cli import main

main()
