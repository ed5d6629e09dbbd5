"""Hosted vs local cost, per day, for a stated workload (introduced in lesson 01).

Hosted: you pay per token, input and output priced separately (USD per 1M tokens).
Local: you pay for the hardware whether it is busy or not (its price spread over its useful life),
plus electricity, which depends on use: the idle draw all day, and the extra draw of a busy GPU only
for the hours it is processing tokens (tokens per day / tokens per second). One machine serves up to a
fixed number of tokens per second; it must keep up with the busiest hour (`Workload.peak_factor` times
the day's average rate), then you need another.
The price tables are dated data in data/prices/ (see their README): re-check them at the source.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass

import pandas as pd

from .datafiles import HostedPrice, LocalHardware, read_csv
from .paths import data_dir

PRICE_COLUMNS = ["provider", "model", "open_weights", "hub_model", "input_usd_per_1m", "output_usd_per_1m", "date",
                 "source"]
HARDWARE_COLUMNS = ["hardware", "memory_gb", "price_usd", "power_watts", "idle_watts", "date", "source"]


def _positive(value, what: str, allow_zero: bool = True) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ValueError(f"{what} must be a number {bound}, got {value!r}.")
    return float(value)


def _load(name: str, columns: list[str], today: dt.date | None) -> pd.DataFrame:
    path = data_dir() / "prices" / name
    read_csv(path, HostedPrice if name == "hosted_prices.csv" else LocalHardware)  # a bad row: file, line, field
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
    """data/prices/local_hardware.csv (launch prices, rated and approximate idle power) with an `age_days` column."""
    return _load("local_hardware.csv", HARDWARE_COLUMNS, today)


@dataclass(frozen=True)
class Workload:
    """What you run: requests per day, tokens in and out per request, and how uneven the traffic is.

    `peak_factor` is the busiest hour's request rate divided by the day's average rate: 1 means a perfectly
    even load around the clock; traffic that follows people's working hours is typically 2-3. Hosted APIs
    absorb peaks for you; machines you own must be sized for them.
    """

    requests_per_day: float
    input_tokens: float
    output_tokens: float
    peak_factor: float = 1.0

    def __post_init__(self):
        _positive(self.requests_per_day, "requests_per_day")
        _positive(self.input_tokens, "input_tokens")
        _positive(self.output_tokens, "output_tokens")
        if _positive(self.peak_factor, "peak_factor") < 1:
            raise ValueError(f"peak_factor is the busiest hour's rate / the average rate, so at least 1, "
                             f"got {self.peak_factor!r}.")

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
    """One machine you own: price, useful life, power draw busy and idle, electricity price, throughput.

    - `power_watts`: the draw while processing (the lesson uses the GPU's rated board power, an upper bound).
    - `idle_watts`: the draw while waiting for work, paid 24 hours a day (0 leaves idle power out).
    - `tokens_per_second`: input and output tokens the machine processes per second when busy; an
      assumption of the workload (lesson 06 measures it for your own machine).
    """

    hardware_usd: float
    lifetime_years: float
    power_watts: float
    usd_per_kwh: float
    tokens_per_second: float
    idle_watts: float = 0.0

    def __post_init__(self):
        _positive(self.hardware_usd, "hardware_usd")
        _positive(self.lifetime_years, "lifetime_years", allow_zero=False)
        _positive(self.power_watts, "power_watts")
        _positive(self.usd_per_kwh, "usd_per_kwh")
        _positive(self.tokens_per_second, "tokens_per_second", allow_zero=False)
        if _positive(self.idle_watts, "idle_watts") > self.power_watts:
            raise ValueError(f"idle_watts ({self.idle_watts}) cannot be more than the busy power_watts "
                             f"({self.power_watts}).")

    @property
    def hardware_usd_per_day(self) -> float:
        """The hardware's price spread over its useful life: paid whether the machine is busy or not."""
        return self.hardware_usd / (self.lifetime_years * 365)

    @property
    def tokens_per_machine_day(self) -> float:
        """Tokens one machine processes in 24 busy hours."""
        return self.tokens_per_second * 86_400

    def busy_hours(self, tokens: float) -> float:
        """Hours of processing that `tokens` take on one machine."""
        return _positive(tokens, "tokens") / self.tokens_per_second / 3600


def machines_needed(workload: Workload, setup: LocalSetup) -> int:
    """How many machines keep up with the workload's busiest hour (at least one: you bought it).

    Capacity must cover `peak_factor` x the day's average rate; with peak_factor=1 this assumes perfectly even
    load around the clock.
    """
    return max(1, math.ceil(workload.tokens_per_day * workload.peak_factor / setup.tokens_per_machine_day))


def electricity_kwh_per_day(workload: Workload, setup: LocalSetup) -> float:
    """kWh per day: every machine's idle draw for 24 hours, plus the extra busy draw for the busy hours.

    idle_watts x 24 h x machines + (power_watts - idle_watts) x tokens per day / tokens per second.
    """
    idle = setup.idle_watts * 24 * machines_needed(workload, setup)
    busy = (setup.power_watts - setup.idle_watts) * setup.busy_hours(workload.tokens_per_day)
    return (idle + busy) / 1000


def local_cost_per_day(workload: Workload, setup: LocalSetup) -> float:
    """USD per day to serve the workload on machines you own: hardware for every machine, plus electricity."""
    hardware = machines_needed(workload, setup) * setup.hardware_usd_per_day
    return hardware + electricity_kwh_per_day(workload, setup) * setup.usd_per_kwh


def break_even_requests_per_day(input_tokens: float, output_tokens: float, input_usd_per_1m: float,
                                output_usd_per_1m: float, setup: LocalSetup, peak_factor: float = 1.0) -> float | None:
    """Requests per day above which one local machine is cheaper than the hosted price.

    On one machine the local cost is a fixed part (hardware, idle power) plus the busy power per request.
    None when the hosted API stays cheaper up to the point one machine is full at the busiest hour.
    """
    one = Workload(1, input_tokens, output_tokens, peak_factor)
    hosted_per_request = hosted_cost_per_day(one, input_usd_per_1m, output_usd_per_1m)
    fixed = setup.hardware_usd_per_day + setup.idle_watts * 24 / 1000 * setup.usd_per_kwh
    busy_per_request = ((setup.power_watts - setup.idle_watts) * setup.busy_hours(one.tokens_per_day) / 1000
                        * setup.usd_per_kwh)
    if hosted_per_request <= busy_per_request:
        return None
    break_even = fixed / (hosted_per_request - busy_per_request)
    capacity = setup.tokens_per_machine_day / (input_tokens + output_tokens) / peak_factor
    return break_even if break_even <= capacity else None
