"""Checkers for lesson 07's exercises: a bootstrap interval, a new contestant, the cheapest model near the best."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import exercise


def _call(fn, *args):
    """(result, None) or (None, the exception) when the learner's function raised."""
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - any error is feedback, never a crashed checker
        return None, exc


def _pair(value):
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return low, high


@exercise("07.1")
def _bootstrap_interval(answer) -> tuple[bool, str]:
    from ..evaluate import bootstrap_ci

    if not callable(answer):
        return False, "give a function bootstrap_interval(correct, n_boot=1000, seed=0) -> (low, high)."
    rng = np.random.default_rng(7)
    widths = []
    for n, p in ((40, 0.6), (400, 0.6), (120, 0.9)):
        correct = (rng.random(n) < p).astype(int).tolist()
        got, error = _call(answer, correct)
        if error:
            return False, f"it raised {type(error).__name__}: {error}"
        pair = _pair(got)
        if pair is None:
            return False, f"return two numbers (low, high), got {got!r}."
        low, high = pair
        mean = float(np.mean(correct))
        if not low <= mean <= high:
            return False, f"for {n} items with accuracy {mean:.3f} your interval ({low:.3f}, {high:.3f}) misses it."
        labels = ["positive"] * n
        _, ref_low, ref_high = bootstrap_ci(labels, ["positive" if c else "negative" for c in correct])
        tolerance = 0.35 * (ref_high - ref_low) + 0.01  # another random resampling moves the ends a little
        if abs(low - ref_low) > tolerance or abs(high - ref_high) > tolerance:
            return False, (f"for {n} items at {mean:.3f} expected about ({ref_low:.3f}, {ref_high:.3f}), got "
                           f"({low:.3f}, {high:.3f}): resample the items with replacement, take each resample's "
                           "mean, then the 2.5% and 97.5% quantiles.")
        widths.append(high - low)
    if not widths[1] < widths[0]:
        return False, "with 400 items the interval should be narrower than with 40."
    return True, (f"intervals contain the estimate and narrow with more items (width {widths[0]:.3f} -> "
                  f"{widths[1]:.3f}).")


@exercise("07.2")
def _new_contestant(answer) -> tuple[bool, str]:
    from ..data import load_reviews
    from ..evaluate import metrics, run_model

    if not callable(answer):
        return False, "give a contestant: a function text -> 'negative', 'neutral' or 'positive'."
    validation = load_reviews("validation", verbose=False)
    items = [{"id": r["id"], "text": r["text"], "label": r["sentiment"]} for r in validation]
    summary = metrics(run_model(answer, items), n_boot=200)
    majority = max(pd.Series([i["label"] for i in items]).value_counts(normalize=True))
    if summary["error_rate"] > 0:
        return False, f"it raised on {summary['error_rate']:.0%} of the validation reviews."
    if summary["invalid_rate"] > 0.05:
        return False, f"{summary['invalid_rate']:.0%} of its answers contain no label word."
    if summary["accuracy"] <= majority:
        return False, (f"accuracy {summary['accuracy']:.3f} on validation does not beat always answering the "
                       f"majority class ({majority:.3f}).")
    return True, (f"accuracy {summary['accuracy']:.3f} [{summary['accuracy_low']:.3f}, "
                  f"{summary['accuracy_high']:.3f}] on the {len(items)} validation reviews, above the majority "
                  f"class ({majority:.3f}).")


def cheapest_within(table: pd.DataFrame, points: float = 0.02, quality: str = "accuracy",
                    cost: str = "usd_per_1k") -> str:
    """The reference answer of 07.3: the cheapest row whose quality is within `points` of the best."""
    rows = table.dropna(subset=[quality, cost])
    near = rows[rows[quality] >= rows[quality].max() - points - 1e-12]
    return near[cost].idxmin()


@exercise("07.3")
def _cheapest_near_best(answer) -> tuple[bool, str]:
    if not callable(answer):
        return False, "give a function cheapest_within(table, points=0.02) -> the contestant's name (the index)."
    rng = np.random.default_rng(3)
    for trial in range(20):
        n = int(rng.integers(3, 9))
        table = pd.DataFrame({"accuracy": rng.uniform(0.4, 0.9, n).round(3),
                              "usd_per_1k": rng.uniform(0.001, 2.0, n).round(4)},
                             index=[f"model-{trial}-{i}" for i in range(n)])
        table.loc[f"not-run-{trial}"] = [math.nan, 0.0]  # a row without a score never wins
        expected = cheapest_within(table)
        got, error = _call(answer, table.copy())
        if error:
            return False, f"it raised {type(error).__name__}: {error}"
        if got != expected:
            return False, (f"on a table of {n} models you answered {got!r}, expected {expected!r} (best accuracy "
                           f"{table['accuracy'].max():.3f}; within 0.02 of it, the lowest usd_per_1k). Rows "
                           "whose accuracy is missing (not run) never count.")
    return True, "it finds the cheapest contestant within 2 points of the best, skipping rows that did not run."
