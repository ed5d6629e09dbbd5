"""Lesson 07's exercise checkers (course_utils/checks/lesson07.py). The harness has its own tests
(test_evaluate), the summary points file too (test_datafiles)."""

from __future__ import annotations

import numpy as np

from course_utils.checks import check
from course_utils.checks.lesson07 import cheapest_within


def bootstrap_interval(correct, n_boot=1000, seed=0):
    rng = np.random.default_rng(seed)
    correct = np.asarray(correct, dtype=float)
    means = correct[rng.integers(0, len(correct), (n_boot, len(correct)))].mean(axis=1)
    return tuple(np.quantile(means, [0.025, 0.975]))


def test_checker_07_1(hub):
    assert check("07.1", bootstrap_interval)
    assert not check("07.1", lambda correct, n_boot=1000, seed=0: (0.0, 1.0))  # contains everything: too wide
    assert not check("07.1", lambda correct, n_boot=1000, seed=0: (0.5,))
    assert not check("07.1", lambda correct: (np.mean(correct), np.mean(correct)))  # no width at all


def test_checker_07_2(hub):
    def keywords(text):  # 0.48 on validation, above the majority class (0.41)
        text = text.lower()
        if any(w in text for w in ("but", "though", "however", "okay", "fine", "average", "decent")):
            praise = any(w in text for w in ("love", "great", "perfect", "excellent", "best"))
            return "positive" if praise else "neutral"
        if any(w in text for w in ("broke", "stopped", "return", "disappoint", "never", "waste", "sent", "avoid",
                                   "cheap", "leak", "dead", "not ")):
            return "negative"
        return "positive"

    assert check("07.2", keywords)
    assert not check("07.2", lambda text: "positive")  # the majority class itself
    assert not check("07.2", lambda text: "I think so")
    assert not check("07.2", lambda text: 1 / 0)


def test_checker_07_3(hub):
    assert check("07.3", cheapest_within)
    assert not check("07.3", lambda table, points=0.02: table["accuracy"].idxmax())  # the best, not the cheapest
    assert not check("07.3", lambda table, points=0.02: table["usd_per_1k"].idxmin())  # ignores quality
