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
