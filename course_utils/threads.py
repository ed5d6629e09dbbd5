"""COURSE_THREADS, read in one place: how many CPU threads the course's models may use (.env or the Makefile)."""

from __future__ import annotations

import os


def course_threads() -> int | None:
    """COURSE_THREADS as a whole number >= 1, or None when it is unset, empty or not such a number."""
    value = os.environ.get("COURSE_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None
