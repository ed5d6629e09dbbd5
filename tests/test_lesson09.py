"""Lesson 09's exercise checkers (course_utils/checks/lesson09.py). The training loop has
its own tests (test_finetune)."""

from __future__ import annotations

from course_utils.checks import check
from course_utils.checks.lesson09 import (
    LESSON09_BUDGET,
    LESSON09_RANK,
    adapted_layers,
    expected_09_1,
    lora_model,
    trainable_parameters,
)

ALL_LINEAR = ["query", "key", "value", "dense"]


def test_checker_09_1_counts_lora_and_the_head(hub):
    expected = expected_09_1()
    assert expected == LESSON09_RANK * (384 + 384) * 2 * 6 + 384 * 3 + 3
    assert check("09.1", expected)
    assert not check("09.1", expected - 1155)  # the head forgotten
    assert not check("09.1", "38019") and not check("09.1", True)


def test_checker_09_2_wants_every_layer_and_the_largest_rank_in_budget(hub):
    trainable = [trainable_parameters(r, ALL_LINEAR)[0] for r in (1, 2, 3)]
    best = max(r for r, t in zip((1, 2, 3), trainable, strict=True) if t <= LESSON09_BUDGET)
    assert check("09.2", {"r": best, "target_modules": ALL_LINEAR})
    assert not check("09.2", {"r": best + 1, "target_modules": ALL_LINEAR})  # over budget
    if best > 1:
        assert not check("09.2", {"r": best - 1, "target_modules": ALL_LINEAR})  # a larger rank fits
    assert not check("09.2", {"r": best, "target_modules": ["query", "value"]})  # not every layer
    assert not check("09.2", {"r": best, "target_modules": ["no_such_module"]})
    assert not check("09.2", [best, ALL_LINEAR])
    adapted = adapted_layers(lora_model(best, ALL_LINEAR))
    assert "bert.encoder.layer.5.output.dense" in adapted and "classifier" not in adapted


def test_checker_09_3_merge_by_hand(hub):
    assert check("09.3", lambda W, A, B, alpha, r: W + (alpha / r) * B @ A)
    assert not check("09.3", lambda W, A, B, alpha, r: W + B @ A)  # the scale forgotten
    assert not check("09.3", lambda W, A, B, alpha, r: W)
    assert not check("09.3", "W + BA")
