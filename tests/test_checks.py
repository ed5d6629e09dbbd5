"""check(): the dispatch every lesson's checkers share. An unanswered exercise is a TODO, an unknown one an error,
and a checker run before the setup cell says so. Each lesson's own checkers are in tests/test_lessonNN.py."""

from __future__ import annotations

import pytest

from course_utils.checks import check


def test_unanswered_exercise_is_a_todo_not_a_failure(capsys):
    assert check("00.1", None) is False
    assert "[TODO] Exercise 00.1" in capsys.readouterr().out


def test_unknown_exercise_is_an_error():
    with pytest.raises(KeyError, match="No exercise '99.9'"):
        check("99.9", 1)


def test_a_checker_run_before_the_setup_cell_says_so_at_once():
    """After a kernel restart without the setup cell, a checker must not wait a minute for huggingface.co."""
    import os
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if k != "HF_ENDPOINT"}
    code = ("from course_utils.checks import check\n"
            "try:\n    check('04.1', ['NEGATIVE', 'POSITIVE'])\nexcept Exception as e:\n    print(type(e).__name__, e)")
    start = time.monotonic()
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert "CourseSetupError Run the setup cell first" in run.stdout, run.stdout + run.stderr
    assert time.monotonic() - start < 20
