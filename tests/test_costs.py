"""course_utils/costs.py (lesson 01 section 3): hosted vs local cost per day, break-even, and its price tables,
bad inputs included."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from course_utils.costs import (
    LocalSetup,
    Workload,
    break_even_requests_per_day,
    electricity_kwh_per_day,
    hosted_cost_per_day,
    load_hosted_prices,
    load_local_hardware,
    local_cost_per_day,
    machines_needed,
)
from course_utils.paths import data_dir

SETUP = LocalSetup(hardware_usd=1095, lifetime_years=3, power_watts=500, usd_per_kwh=0.25, tokens_per_second=1000)


def test_hosted_cost_is_linear_and_prices_input_and_output_separately():
    w = Workload(1000, 1_000_000, 0)
    assert hosted_cost_per_day(w, 2.0, 10.0) == pytest.approx(2000)
    assert hosted_cost_per_day(Workload(1000, 0, 1_000_000), 2.0, 10.0) == pytest.approx(10_000)
    assert hosted_cost_per_day(Workload(2000, 500, 100), 1, 3) == pytest.approx(
        2 * hosted_cost_per_day(Workload(1000, 500, 100), 1, 3))


def test_local_cost_is_a_step_function_of_load():
    hardware_per_day = 1095 / (3 * 365)
    assert SETUP.hardware_usd_per_day == pytest.approx(hardware_per_day)
    capacity = SETUP.tokens_per_machine_day / 1000  # requests of 1000 tokens per machine-day
    assert machines_needed(Workload(0, 900, 100), SETUP) == 1
    assert machines_needed(Workload(capacity, 900, 100), SETUP) == 1
    assert machines_needed(Workload(capacity + 1, 900, 100), SETUP) == 2
    # without idle power, a full machine pays its busy power for 24 hours
    full = Workload(capacity, 900, 100)
    assert local_cost_per_day(full, SETUP) == pytest.approx(hardware_per_day + 0.5 * 24 * 0.25)
    assert local_cost_per_day(Workload(capacity + 1, 900, 100), SETUP) == pytest.approx(
        2 * hardware_per_day + 0.5 * 24 * 0.25 * (capacity + 1) / capacity)


def test_electricity_is_idle_all_day_plus_busy_hours():
    setup = LocalSetup(hardware_usd=1095, lifetime_years=3, power_watts=450, usd_per_kwh=0.30,
                       tokens_per_second=2000, idle_watts=30)
    workload = Workload(20_000, 800, 200)  # 20M tokens/day at 2000 tokens/s: 2.78 busy hours
    busy_hours = 20e6 / 2000 / 3600
    assert setup.busy_hours(workload.tokens_per_day) == pytest.approx(busy_hours)
    kwh = (30 * 24 + (450 - 30) * busy_hours) / 1000
    assert electricity_kwh_per_day(workload, setup) == pytest.approx(kwh)
    assert local_cost_per_day(workload, setup) == pytest.approx(1 + kwh * 0.30)
    # far less than the rated power around the clock, more than idle alone
    assert 30 * 24 / 1000 < kwh < 450 * 24 / 1000 / 4
    # an idle machine still pays its idle draw; a second machine adds a second idle draw, not more busy hours
    assert electricity_kwh_per_day(Workload(0, 800, 200), setup) == pytest.approx(30 * 24 / 1000)
    two = Workload(100_000, 800, 200, peak_factor=2)
    assert machines_needed(two, setup) == 2
    assert electricity_kwh_per_day(two, setup) == pytest.approx(
        (2 * 30 * 24 + 420 * setup.busy_hours(two.tokens_per_day)) / 1000)
    with pytest.raises(ValueError, match="idle_watts .* cannot be more than"):
        LocalSetup(1000, 3, 100, 0.3, 100, idle_watts=200)


def test_peak_factor_sizes_machines_for_the_busiest_hour():
    capacity = SETUP.tokens_per_machine_day / 1000
    even = Workload(0.8 * capacity, 900, 100)
    peaky = Workload(0.8 * capacity, 900, 100, peak_factor=2.5)
    assert machines_needed(even, SETUP) == 1 and machines_needed(peaky, SETUP) == 2  # ceil(0.8 x 2.5)
    assert local_cost_per_day(peaky, SETUP) > local_cost_per_day(even, SETUP)
    assert hosted_cost_per_day(peaky, 1, 1) == hosted_cost_per_day(even, 1, 1)  # the API absorbs the peak
    for bad in (0.5, -1, float("nan")):
        with pytest.raises(ValueError, match="peak_factor"):
            Workload(1, 1, 1, peak_factor=bad)


def test_break_even_is_where_both_cost_the_same():
    setup = LocalSetup(1095, 3, 450, 0.30, 2000, idle_watts=30)
    for local in (SETUP, setup):
        be = break_even_requests_per_day(800, 200, 2.5, 10.0, local)
        assert be is not None
        assert hosted_cost_per_day(Workload(be, 800, 200), 2.5, 10.0) == pytest.approx(local_cost_per_day(
            Workload(be, 800, 200), local))
        assert hosted_cost_per_day(Workload(be * 1.1, 800, 200), 2.5, 10.0) > local_cost_per_day(
            Workload(be * 1.1, 800, 200), local)
        assert hosted_cost_per_day(Workload(be * 0.9, 800, 200), 2.5, 10.0) < local_cost_per_day(
            Workload(be * 0.9, 800, 200), local)
    # tokens so cheap that one full machine is still dearer: no break-even
    assert break_even_requests_per_day(800, 200, 0.0001, 0.0001, SETUP) is None
    assert break_even_requests_per_day(800, 200, 0, 0, SETUP) is None
    # a break-even that one machine reaches with even load, but not when it must cover a peak of 3x
    capacity = setup.tokens_per_machine_day / 1000
    price = next(p / 100 for p in range(1, 1000)
                 if (b := break_even_requests_per_day(800, 200, p / 100, p / 100, setup)) and b < 0.9 * capacity
                 and b > capacity / 3)
    assert break_even_requests_per_day(800, 200, price, price, setup, peak_factor=3) is None


@pytest.mark.parametrize("kwargs, field", [
    (dict(requests_per_day=-1, input_tokens=1, output_tokens=1), "requests_per_day"),
    (dict(requests_per_day=1, input_tokens=float("nan"), output_tokens=1), "input_tokens"),
    (dict(requests_per_day=1, input_tokens=1, output_tokens="200"), "output_tokens"),
])
def test_bad_workloads(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Workload(**kwargs)


def test_bad_local_setups_and_prices():
    with pytest.raises(ValueError, match="lifetime_years must be a number more than zero"):
        LocalSetup(1000, 0, 300, 0.3, 100)
    with pytest.raises(ValueError, match="tokens_per_second"):
        LocalSetup(1000, 3, 300, 0.3, 0)
    with pytest.raises(ValueError, match="input_usd_per_1m"):
        hosted_cost_per_day(Workload(1, 1, 1), -2, 1)


def test_price_tables_are_dated_sourced_and_positive():
    today = dt.date(2026, 1, 1)
    prices = load_hosted_prices(today)
    assert len(prices) >= 5 and prices["provider"].nunique() >= 3
    assert (prices[["input_usd_per_1m", "output_usd_per_1m"]] > 0).all().all()
    assert prices["source"].str.startswith("https://").all()
    assert (prices["age_days"] == [(today - d).days for d in prices["date"]]).all()
    assert not prices.duplicated(["provider", "model"]).any()
    # open-weights rows name their Hub model, and it is in the course catalogue
    catalogue = {m["id"] for m in json.loads((data_dir() / "catalogue" / "models.json").read_text())["models"]}
    open_rows = prices[prices["open_weights"]]
    assert len(open_rows) and set(open_rows["hub_model"]) <= catalogue
    assert (prices.loc[~prices["open_weights"], "hub_model"] == "").all()
    hardware = load_local_hardware(today)
    assert (hardware[["memory_gb", "price_usd", "power_watts", "idle_watts"]] > 0).all().all()
    assert (hardware["idle_watts"] < hardware["power_watts"]).all()
    assert hardware["source"].str.startswith("https://").all()
    for folder in ("prices", "licences"):
        assert (data_dir() / folder / "README.md").exists()
