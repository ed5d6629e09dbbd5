"""Hosted vs local cost, per day, for a stated workload (introduced in lesson 01).

Hosted: you pay per token, input and output priced separately (USD per 1M tokens).
Local: you pay for the hardware whether it is busy or not (its price spread over its useful life)
plus electricity; one machine serves up to a fixed number of tokens per day, then you need another.
The price tables are dated data in data/prices/ (see their README): re-check them at the source.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass

import pandas as pd

from .paths import data_dir

PRICE_COLUMNS = ["provider", "model", "open_weights", "hub_model", "input_usd_per_1m", "output_usd_per_1m", "date",
                 "source"]
HARDWARE_COLUMNS = ["hardware", "memory_gb", "price_usd", "power_watts", "date", "source"]


def _positive(value, what: str, allow_zero: bool = True) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ValueError(f"{what} must be a number {bound}, got {value!r}.")
    return float(value)


def _load(name: str, columns: list[str], today: dt.date | None) -> pd.DataFrame:
    path = data_dir() / "prices" / name
    table = pd.read_csv(path, keep_default_na=False)
    missing = set(columns) - set(table.columns)
    if missing:
        raise ValueError(f"{path} lacks the columns {sorted(missing)}")
    table["date"] = pd.to_datetime(table["date"]).dt.date
    today = today or dt.date.today()
    table["age_days"] = [(today - d).days for d in table["date"]]
    return table


def load_hosted_prices(today: dt.date | None = None) -> pd.DataFrame:
    """data/prices/hosted_prices.csv with an `age_days` column (how old each price is today)."""
    table = _load("hosted_prices.csv", PRICE_COLUMNS, today)
    table["open_weights"] = table["open_weights"].astype(str).str.lower().eq("true")
    return table


def load_local_hardware(today: dt.date | None = None) -> pd.DataFrame:
    """data/prices/local_hardware.csv (launch prices and power draw) with an `age_days` column."""
    return _load("local_hardware.csv", HARDWARE_COLUMNS, today)


@dataclass(frozen=True)
class Workload:
    """What you run: requests per day, and tokens in and out per request."""

    requests_per_day: float
    input_tokens: float
    output_tokens: float

    def __post_init__(self):
        _positive(self.requests_per_day, "requests_per_day")
        _positive(self.input_tokens, "input_tokens")
        _positive(self.output_tokens, "output_tokens")

    @property
    def tokens_per_day(self) -> float:
        return self.requests_per_day * (self.input_tokens + self.output_tokens)


def hosted_cost_per_day(workload: Workload, input_usd_per_1m: float, output_usd_per_1m: float) -> float:
    """USD per day on a pay-per-token API."""
    price_in = _positive(input_usd_per_1m, "input_usd_per_1m")
    price_out = _positive(output_usd_per_1m, "output_usd_per_1m")
    per_request = (workload.input_tokens * price_in + workload.output_tokens * price_out) / 1e6
    return workload.requests_per_day * per_request


@dataclass(frozen=True)
class LocalSetup:
    """One machine you own: price, useful life, average power draw, electricity price, throughput.

    `tokens_per_second` counts input and output tokens the machine processes per second when busy;
    it is an assumption of the workload (lesson 06 measures it for your own machine).
    """

    hardware_usd: float
    lifetime_years: float
    power_watts: float
    usd_per_kwh: float
    tokens_per_second: float

    def __post_init__(self):
        _positive(self.hardware_usd, "hardware_usd")
        _positive(self.lifetime_years, "lifetime_years", allow_zero=False)
        _positive(self.power_watts, "power_watts")
        _positive(self.usd_per_kwh, "usd_per_kwh")
        _positive(self.tokens_per_second, "tokens_per_second", allow_zero=False)

    @property
    def cost_per_machine_day(self) -> float:
        """Hardware spread over its life, plus electricity for 24 hours at the average draw."""
        amortised = self.hardware_usd / (self.lifetime_years * 365)
        power = self.power_watts / 1000 * 24 * self.usd_per_kwh
        return amortised + power

    @property
    def tokens_per_machine_day(self) -> float:
        return self.tokens_per_second * 86_400


def machines_needed(workload: Workload, setup: LocalSetup) -> int:
    """How many machines the workload keeps busy (at least one: you bought it)."""
    return max(1, math.ceil(workload.tokens_per_day / setup.tokens_per_machine_day))


def local_cost_per_day(workload: Workload, setup: LocalSetup) -> float:
    """USD per day to serve the workload on machines you own (a step function of the load)."""
    return machines_needed(workload, setup) * setup.cost_per_machine_day


def break_even_requests_per_day(input_tokens: float, output_tokens: float, input_usd_per_1m: float,
                                output_usd_per_1m: float, setup: LocalSetup) -> float | None:
    """Requests per day above which one local machine is cheaper than the hosted price.

    None when the hosted API stays cheaper up to the point one machine is full.
    """
    one = Workload(1, input_tokens, output_tokens)
    per_request = hosted_cost_per_day(one, input_usd_per_1m, output_usd_per_1m)
    if per_request == 0:
        return None
    break_even = setup.cost_per_machine_day / per_request
    capacity = setup.tokens_per_machine_day / (input_tokens + output_tokens)
    return break_even if break_even <= capacity else None
