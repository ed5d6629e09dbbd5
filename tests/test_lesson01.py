"""Lesson 01's exercise checkers (course_utils/checks/lesson01.py), bad inputs and their hints included."""

from __future__ import annotations

import pytest

from course_utils.checks import check
from course_utils.costs import LocalSetup, Workload, load_local_hardware, local_cost_per_day


def test_lesson01_checkers(hf_api, capsys):
    from course_utils.checks.lesson01 import (
        LESSON01_LICENCE_MODELS,
        commercially_usable,
        expected_weights_gb,
        option_costs,
    )

    gb = expected_weights_gb()
    assert check("01.1", gb * 1.02) and not check("01.1", gb * 2) and not check("01.1", gb * 1e9)
    costs = option_costs()
    cheapest = min(costs, key=costs.get)
    assert check("01.2", cheapest) and not check("01.2", max(costs, key=costs.get)) and not check("01.2", "AWS")
    usable = commercially_usable()
    assert 0 < len(usable) < len(LESSON01_LICENCE_MODELS)
    assert check("01.3", sorted(usable)) and not check("01.3", LESSON01_LICENCE_MODELS) and not check("01.3", "x")
    out = capsys.readouterr().out
    assert out.count("[OK]") == 3 and out.count("[TRY AGAIN]") == 6
    assert "float32" in out and "bytes" in out and "count the machines" in out


def test_lesson01_memory_checker_hints(hf_api, capsys):
    from course_utils.checks.lesson01 import expected_weights_gb

    gb = expected_weights_gb()
    assert not check("01.1", gb * 1e9 / 2**30)  # the answer in GiB
    assert "GiB or GB?" in capsys.readouterr().out
    assert not check("01.1", gb * 1.07)  # 7% too high: not a GiB answer
    assert "GiB or GB?" not in capsys.readouterr().out
    assert not check("01.1", f"{gb:.1f}")  # a string, even of the right number
    assert "not the string" in capsys.readouterr().out
    assert not check("01.1", True) and check("01.1", round(gb, 1))


def test_lesson01_cost_checker_uses_idle_power_and_peak(hf_api):
    from course_utils.checks.lesson01 import LESSON01_LOCAL, LESSON01_WORKLOAD, option_costs

    hw = load_local_hardware().set_index("hardware").loc[LESSON01_LOCAL["hardware"]]
    setup = LocalSetup(float(hw["price_usd"]), LESSON01_LOCAL["lifetime_years"], float(hw["power_watts"]),
                       LESSON01_LOCAL["usd_per_kwh"], LESSON01_LOCAL["tokens_per_second"],
                       idle_watts=float(hw["idle_watts"]))
    workload = Workload(**LESSON01_WORKLOAD)
    assert workload.peak_factor > 1
    assert option_costs()["local"] == pytest.approx(local_cost_per_day(workload, setup))
