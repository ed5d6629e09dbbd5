"""The environment check (lesson 00): each pinned package [OK]/[FAIL], the device, key versions."""

from __future__ import annotations

import importlib.metadata as md
import platform
import re
from dataclasses import dataclass

DISTRIBUTION = "open-models-course"
KEY_PACKAGES = ("torch", "transformers", "huggingface-hub", "datasets", "sentence-transformers")


@dataclass
class PackageCheck:
    name: str
    required: str
    installed: str | None

    @property
    def ok(self) -> bool:
        return self.installed is not None and self.installed.split("+")[0] == self.required

    def line(self) -> str:
        found = self.installed or "not installed"
        return f"[{'OK' if self.ok else 'FAIL'}] {self.name:<24} required {self.required:<10} installed {found}"


def pinned_requirements(include_dev: bool = False) -> dict[str, str]:
    """name -> exact version, read from the installed course's own metadata (pyproject.toml's pins)."""
    pins = {}
    for req in md.requires(DISTRIBUTION) or []:
        is_dev = 'extra == "dev"' in req
        if is_dev and not include_dev:
            continue
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)", req)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def installed_version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def check_environment(include_dev: bool = False, verbose: bool = True) -> list[PackageCheck]:
    """Compare every pinned package with what is installed; print one [OK]/[FAIL] line each."""
    checks = [PackageCheck(name, required, installed_version(name))
              for name, required in sorted(pinned_requirements(include_dev).items())]
    if verbose:
        python = platform.python_version()
        status = "OK" if python.startswith("3.11.") else "FAIL"
        print(f"[{status}] {'python':<24} required {'3.11.x':<10} installed {python}")
        for check in checks:
            print(check.line())
        failed = [c.name for c in checks if not c.ok]
        print("All pinned packages match." if not failed else
              f"{len(failed)} package(s) differ: run `make repair` in the course folder, then restart the kernel.")
    return checks


def best_device() -> str:
    """'cuda', then 'mps' (Apple silicon), then 'cpu': every lesson runs on CPU."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def device_note(device: str) -> str:
    if device == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(0)})"
    if device == "mps":
        return "mps (Apple silicon GPU)"
    return "cpu (no GPU found: fine, every lesson runs on CPU; GPU-only cells say so and skip)"


def key_versions() -> str:
    return ", ".join(f"{n} {installed_version(n) or 'missing'}" for n in KEY_PACKAGES)
