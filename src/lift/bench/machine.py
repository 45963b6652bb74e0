"""What a measurement ran on, for the line beside each figure: the CPU's vector flags that decide its speed."""

from __future__ import annotations

import platform
from pathlib import Path

SPEED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def cpu_flags() -> str:
    """The speed-relevant flags of /proc/cpuinfo ('avx2, avx512f, avx512_bf16'), or the processor's name where
    there is no /proc/cpuinfo."""
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.is_file() else ""
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), None)
    if flags is None:
        return platform.processor() or "unknown"
    return ", ".join(flag for flag in SPEED_FLAGS if flag in flags)
