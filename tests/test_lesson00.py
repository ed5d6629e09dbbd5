"""Lesson 00's exercise checkers (course_utils/checks/lesson00.py): right answers pass, wrong ones get a hint,
index answers in their natural forms."""

from __future__ import annotations

from course_utils.checks import check


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
