"""Exercise checkers. `check("00.2", answer)` prints [OK], [TRY AGAIN] with a hint, or [TODO], and
returns True only for a right answer, so a solution cell can `assert check(...)`.

Each lesson's checkers live in `course_utils/checks/lessonNN.py` (loaded on first use) and work their
expected answer out on the learner's machine; nothing is hard-coded that could drift.
"""

from __future__ import annotations

import importlib
import operator
import os
from collections.abc import Callable
from typing import Any

_CHECKERS: dict[str, Callable[[Any], tuple[bool, str]]] = {}


def exercise(exercise_id: str):
    """Register a checker: a function answer -> (ok, message)."""

    def register(fn: Callable[[Any], tuple[bool, str]]):
        _CHECKERS[exercise_id] = fn
        return fn

    return register


def as_index(value: Any) -> int | None:
    """An index answer as an int: an int, a numpy integer or a 0-d integer tensor (what argmax() returns);
    None for anything else, bools included, so the checker can say what it got."""
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def check(exercise_id: str, answer: Any) -> bool:
    if not os.environ.get("HF_ENDPOINT"):
        # After a kernel restart without the setup cell a checker would wait about a minute for huggingface.co,
        # then fail with a generic "couldn't connect". Say what to do at once instead.
        from ..session import CourseSetupError

        raise CourseSetupError("Run the setup cell first (`course = setup(...)` near the top of the lesson): "
                               "checkers load models and data from the hub it chooses.")
    lesson = exercise_id.split(".")[0]
    try:
        importlib.import_module(f"{__name__}.lesson{lesson}")
    except ModuleNotFoundError:
        pass
    if exercise_id not in _CHECKERS:
        raise KeyError(f"No exercise {exercise_id!r}; known: {', '.join(sorted(_CHECKERS))}")
    if answer is None:
        print(f"[TODO] Exercise {exercise_id}: replace None with your answer, then run the cell again.")
        return False
    ok, message = _CHECKERS[exercise_id](answer)
    print(f"[{'OK' if ok else 'TRY AGAIN'}] Exercise {exercise_id}: {message}")
    return ok
