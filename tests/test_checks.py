"""The exercise checkers: right answers pass, wrong and missing ones say what to do."""

from __future__ import annotations

import pytest

from course_utils.checks import check


def test_unanswered_exercise_is_a_todo_not_a_failure(capsys):
    assert check("00.1", None) is False
    assert "[TODO] Exercise 00.1" in capsys.readouterr().out


def test_wrong_answers_get_a_hint(capsys):
    assert check("00.1", "tpu") is False
    assert check("00.3", 99) is False
    assert check("00.2", "a lot") is False
    out = capsys.readouterr().out
    assert out.count("[TRY AGAIN]") == 3 and "torch.cuda.is_available()" in out


def test_right_answers_pass(capsys):
    from course_utils.environment import best_device

    assert check("00.1", best_device()) is True
    assert "[OK] Exercise 00.1" in capsys.readouterr().out


def test_unknown_exercise_is_an_error():
    with pytest.raises(KeyError, match="No exercise '99.9'"):
        check("99.9", 1)


def test_index_answers_may_be_tensors_or_numpy_scalars(capsys):
    import numpy as np
    import torch

    from course_utils.checks.lesson00 import LESSON00_QUERY, LESSON00_REVIEWS, _minilm

    model = _minilm()
    scores = model.similarity(model.encode([LESSON00_QUERY]), model.encode(LESSON00_REVIEWS))[0]
    assert check("00.3", scores.argmax()) is True
    assert check("00.3", np.int64(int(scores.argmax()))) is True
    assert check("00.3", torch.tensor([1, 2])) is False
    assert "plain int index" in capsys.readouterr().out


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
