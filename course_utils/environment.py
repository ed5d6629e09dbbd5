"""The environment check (lesson 00): each pinned package [OK]/[FAIL], the device, key versions."""

from __future__ import annotations

import importlib.metadata as md
import platform
import re
from dataclasses import dataclass

DISTRIBUTION = "open-models-course"
KEY_PACKAGES = ("torch", "transformers", "huggingface-hub", "datasets", "sentence-transformers")


# What each optional group of pins is for, so a failed check says which lessons it affects.
EXTRAS = {"local": "lesson 06's llama.cpp engine and GGUF tools; lessons 00-05 run without it"}


@dataclass
class PackageCheck:
    name: str
    required: str
    installed: str | None
    extra: str | None = None  # the pyproject extra the pin belongs to ("local"); None for the core packages

    @property
    def ok(self) -> bool:
        return self.installed is not None and self.installed.split("+")[0] == self.required

    def line(self) -> str:
        found = self.installed or "not installed"
        note = f"  ({EXTRAS.get(self.extra, self.extra)})" if self.extra and not self.ok else ""
        return f"[{'OK' if self.ok else 'FAIL'}] {self.name:<24} required {self.required:<10} installed {found}{note}"


def _pins(include_dev: bool) -> list[tuple[str, str, str | None]]:
    """(name, exact version, extra or None), read from the installed course's own metadata (pyproject's pins)."""
    pins = []
    for req in md.requires(DISTRIBUTION) or []:
        extra = re.search(r'extra == "([^"]+)"', req)
        extra = extra.group(1) if extra else None
        if extra == "dev" and not include_dev:
            continue
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)", req)
        if match:
            pins.append((match.group(1).lower(), match.group(2), extra))
    return pins


def pinned_requirements(include_dev: bool = False) -> dict[str, str]:
    """name -> exact version, read from the installed course's own metadata (pyproject.toml's pins)."""
    return {name: version for name, version, _ in _pins(include_dev)}


def installed_version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def check_environment(include_dev: bool = False, verbose: bool = True) -> list[PackageCheck]:
    """Compare every pinned package with what is installed; print one [OK]/[FAIL] line each."""
    checks = [PackageCheck(name, required, installed_version(name), extra)
              for name, required, extra in sorted(_pins(include_dev))]
    if verbose:
        python = platform.python_version()
        status = "OK" if python.startswith("3.11.") else "FAIL"
        print(f"[{status}] {'python':<24} required {'3.11.x':<10} installed {python}")
        for check in checks:
            print(check.line())
        failed = [c for c in checks if not c.ok]
        core = [c for c in failed if c.extra in (None, "dev")]
        if not failed:
            print("All pinned packages match.")
        elif not core:
            extras = sorted({c.extra for c in failed})
            print(f"The core packages match; {len(failed)} package(s) of {', '.join(EXTRAS.get(e, e) for e in extras)} "
                  "differ. Run `make engine` (the first time it compiles llama.cpp: a C/C++ compiler is needed) "
                  "before that lesson.")
        else:
            print(f"{len(failed)} package(s) differ: run `make repair` in the course folder, then restart the kernel.")
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
