"""The versions of the packages that shape a result, recorded in manifests and eval runs."""

from __future__ import annotations

import importlib.metadata
import platform


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("lift", "torch", "transformers", "peft"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions
