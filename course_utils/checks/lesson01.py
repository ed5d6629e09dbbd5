"""Checkers for lesson 01's exercises. Each works its answer out from the Hub and the course's data."""

from __future__ import annotations

import numbers

from . import exercise

# 01.1: memory of one model's weights
LESSON01_MEMORY_MODEL = "Qwen/Qwen2.5-7B-Instruct"
LESSON01_MEMORY_DTYPE = "bfloat16"

# 01.2: the cheapest way to run Llama 3.1 8B Instruct for this workload
LESSON01_WORKLOAD = {"requests_per_day": 200_000, "input_tokens": 800, "output_tokens": 200, "peak_factor": 2}
LESSON01_HUB_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
LESSON01_LOCAL = {"hardware": "NVIDIA GeForce RTX 4090", "lifetime_years": 3, "usd_per_kwh": 0.30,
                  "tokens_per_second": 2000}

# 01.3: which of these may go into a paid product with no conditions beyond notices and passing on use restrictions
# (commercial use "yes" in the licence families table; "conditional" adds a user cap or naming rules)?
LESSON01_LICENCE_MODELS = [
    "Qwen/Qwen2.5-3B-Instruct",
    "facebook/nllb-200-distilled-600M",
    "microsoft/Phi-4-mini-instruct",
    "black-forest-labs/FLUX.1-schnell",
]


def expected_weights_gb(model_id: str = LESSON01_MEMORY_MODEL, dtype: str = LESSON01_MEMORY_DTYPE) -> float:
    from huggingface_hub import HfApi

    from ..memory import parameter_count, weights_gb

    return weights_gb(parameter_count(HfApi().model_info(model_id)), dtype)


@exercise("01.1")
def _memory(answer) -> tuple[bool, str]:
    expected = expected_weights_gb()
    if isinstance(answer, str):
        return False, f"give a number, not the string {answer!r}: e.g. answer_01_1 = weights_gb(n, 'bfloat16')."
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return False, "give a number of GB, e.g. weights_gb(n_parameters, 'bfloat16')."
    value = float(answer)
    if abs(value - expected) <= 0.05 * expected:
        return True, f"about {expected:.1f} GB for the weights in {LESSON01_MEMORY_DTYPE}."
    if abs(value - 2 * expected) <= 0.1 * expected:
        hint = "that is float32 (4 bytes per parameter); bfloat16 takes 2."
    elif abs(value * 2**30 / 1e9 - expected) <= 0.02 * expected:  # value is in GiB: x 1.074 gives GB
        hint = "GiB or GB? The course uses GB = 10**9 bytes."
    elif value > 1e6:
        hint = "that looks like bytes: divide by 1e9."
    else:
        hint = "take the parameter count from model_info(...).safetensors.total and multiply by 2 bytes."
    return False, f"{value} is not within 5% of the estimate: {hint}"


def option_costs() -> dict[str, float]:
    """USD per day for LESSON01_WORKLOAD: each hosted offer of LESSON01_HUB_MODEL, and 'local'."""
    from ..costs import (
        LocalSetup,
        Workload,
        hosted_cost_per_day,
        load_hosted_prices,
        load_local_hardware,
        local_cost_per_day,
    )

    workload = Workload(**LESSON01_WORKLOAD)
    prices = load_hosted_prices()
    costs = {row.provider: hosted_cost_per_day(workload, row.input_usd_per_1m, row.output_usd_per_1m)
             for row in prices[prices["hub_model"] == LESSON01_HUB_MODEL].itertuples()}
    hw = load_local_hardware().set_index("hardware").loc[LESSON01_LOCAL["hardware"]]
    setup = LocalSetup(float(hw["price_usd"]), LESSON01_LOCAL["lifetime_years"], float(hw["power_watts"]),
                       LESSON01_LOCAL["usd_per_kwh"], LESSON01_LOCAL["tokens_per_second"],
                       idle_watts=float(hw["idle_watts"]))
    costs["local"] = local_cost_per_day(workload, setup)
    return costs


@exercise("01.2")
def _cheapest(answer) -> tuple[bool, str]:
    costs = option_costs()
    expected = min(costs, key=costs.get)
    options = ", ".join(repr(k) for k in costs)
    if not isinstance(answer, str) or answer.strip().lower() not in {k.lower() for k in costs}:
        return False, f"answer with one of {options}."
    if answer.strip().lower() == expected.lower():
        return True, f"{expected} at about {costs[expected]:.2f} USD per day (" + ", ".join(
            f"{k}: {v:.2f}" for k, v in sorted(costs.items(), key=lambda kv: kv[1])) + ")."
    return False, (f"{answer!r} costs {costs[next(k for k in costs if k.lower() == answer.strip().lower())]:.2f} "
                   "USD per day; compute every option with hosted_cost_per_day and local_cost_per_day "
                   "(count the machines the busiest hour needs).")


def commercially_usable(model_ids=LESSON01_LICENCE_MODELS) -> set[str]:
    """The models whose card's licence allows commercial use without extra conditions ('yes' in the families table)."""
    from huggingface_hub import HfApi

    from ..licences import allows_commercial_use, licence_id

    api = HfApi()
    return {m for m in model_ids if allows_commercial_use(licence_id(api.model_info(m).card_data)) == "yes"}


@exercise("01.3")
def _licences(answer) -> tuple[bool, str]:
    expected = commercially_usable()
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        return False, "give a list (or set) of model ids from LESSON01_LICENCE_MODELS."
    given = set(answer)
    unknown = given - set(LESSON01_LICENCE_MODELS)
    if unknown:
        return False, f"{sorted(unknown)} are not in LESSON01_LICENCE_MODELS."
    if given == expected:
        return True, f"{len(expected)} of {len(LESSON01_LICENCE_MODELS)} allow commercial use: {sorted(expected)}."
    missed, wrong = expected - given, given - expected
    parts = []
    if wrong:
        parts.append(f"{len(wrong)} of yours does not allow it")
    if missed:
        parts.append(f"{len(missed)} allowed one is missing")
    return False, "; ".join(parts) + (". Read each card's license (and license_name when it is 'other'), then "
                                      "look it up in the licence families table.")
