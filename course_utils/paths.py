"""Where the course keeps its things: the repository, build output, the course hub, caches."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def repo_root() -> Path:
    """The course repository (course_utils is installed editable from it)."""
    root = PACKAGE_DIR.parent
    if not (root / "pyproject.toml").exists():
        raise RuntimeError(
            f"course_utils is not inside the course repository ({root}). "
            "Install it with `make setup` from a clone of the course (editable install)."
        )
    return root


def build_dir() -> Path:
    return Path(os.environ.get("COURSE_BUILD_DIR", repo_root() / "build"))


def data_dir() -> Path:
    return repo_root() / "data"


def hub_root() -> Path:
    """The folder of model and dataset repos that the course hub serves."""
    return Path(os.environ.get("COURSE_HUB_ROOT", build_dir() / "hub"))


def course_hf_home() -> Path:
    """HF_HOME used in course-hub mode, so stand-in weights never land in the learner's real cache."""
    return build_dir() / "hf-home"
