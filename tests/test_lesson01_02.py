"""Lessons 01 and 02's helpers: the memory estimator, the cost model, the licence join, choose_model,
their data files and their exercise checkers, bad inputs included."""

from __future__ import annotations

import datetime as dt
import json
import math

import pandas as pd
import pytest

from course_utils.checks import check
from course_utils.choose import choose_model
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
from course_utils.licences import UNKNOWN, allows_commercial_use, join_licences, licence_id, load_licence_families
from course_utils.memory import bytes_per_parameter, estimate_memory_gb, kv_cache_gb, normalize_dtype, weights_gb
from course_utils.paths import data_dir

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


# -- memory ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype, expected", [("float32", 4), ("fp32", 4), ("F32", 4), ("bf16", 2), ("BF16", 2),
                                             ("torch.float16", 2), ("int8", 1), ("4bit", 0.5), ("nf4", 0.5)])
def test_bytes_per_parameter_and_aliases(dtype, expected):
    assert bytes_per_parameter(dtype) == expected


def test_torch_dtypes_are_accepted():
    import torch

    assert normalize_dtype(torch.bfloat16) == "bfloat16"
    assert bytes_per_parameter(torch.float32) == torch.empty(0, dtype=torch.float32).element_size()


def test_rule_of_thumb():
    assert weights_gb(1e9, "bf16") == pytest.approx(2.0)
    assert weights_gb(1e9, "int4") < 1.0
    assert weights_gb(8e9, "fp32") == pytest.approx(2 * weights_gb(8e9, "bf16"))


def test_float8_is_one_byte():
    import torch

    for name in ("F8_E4M3", "F8_E5M2", "fp8", "float8", torch.float8_e4m3fn, torch.float8_e5m2):
        assert normalize_dtype(name) == "float8"
        assert bytes_per_parameter(name) == 1
    assert bytes_per_parameter(torch.float8_e4m3fn) == torch.empty(0, dtype=torch.float8_e4m3fn).element_size()
    assert weights_gb(8e9, "F8_E4M3") == pytest.approx(weights_gb(8e9, "bf16") / 2)


@pytest.mark.parametrize("dtype", ["float8-ish", "int3", "", None])
def test_unknown_dtype_is_a_clear_error(dtype):
    with pytest.raises(ValueError, match="Unknown dtype .* Use one of float32"):
        weights_gb(1e9, dtype)


@pytest.mark.parametrize("n", [-1, float("nan"), float("inf"), "7B", True])
def test_bad_parameter_counts(n):
    with pytest.raises(ValueError, match="n_parameters must be a non-negative number"):
        weights_gb(n, "bf16")


LLAMA_8B = {"num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "hidden_size": 4096}


def test_kv_cache_formula_for_a_known_config():
    # 2 x 32 layers x 8 kv heads x 128 head size x 2 bytes = 128 KiB per token
    assert kv_cache_gb(LLAMA_8B, 1, 1, "bf16") * 1e9 == 131072
    assert kv_cache_gb(LLAMA_8B, 8192, 4, "bf16") == pytest.approx(4 * 8192 * 131072 / 1e9)
    no_gqa = {**LLAMA_8B, "num_key_value_heads": None}
    assert kv_cache_gb(no_gqa, 100, 1) == pytest.approx(4 * kv_cache_gb(LLAMA_8B, 100, 1))
    gpt2_style = {"n_layer": 12, "n_head": 12, "n_embd": 768}
    assert kv_cache_gb(gpt2_style, 1024, 1, "fp32") * 1e9 == 2 * 12 * 12 * 64 * 1024 * 4


def test_kv_cache_reads_the_text_config_of_multimodal_configs():
    from transformers import LlamaConfig, LlavaConfig

    text = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                       num_key_value_heads=2, head_dim=32)
    multimodal = LlavaConfig(text_config=text)
    assert getattr(multimodal, "num_hidden_layers", None) is None  # the values live under text_config
    assert kv_cache_gb(multimodal, 100, 2) == pytest.approx(kv_cache_gb(text, 100, 2))
    assert kv_cache_gb(text, 1, 1, "fp32") * 1e9 == 2 * 3 * 2 * 32 * 4  # explicit head_dim wins over 64 // 4
    as_dict = {"model_type": "llava", "text_config": {**LLAMA_8B}}
    assert kv_cache_gb(as_dict, 10) == pytest.approx(kv_cache_gb(LLAMA_8B, 10))


def test_kv_cache_matches_a_real_cache():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=3,
                         num_attention_heads=4, num_key_value_heads=2)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        cache = model(torch.randint(0, 100, (3, 17)), use_cache=True).past_key_values
    measured = sum(t.numel() * t.element_size() for layer in cache.layers for t in (layer.keys, layer.values))
    assert measured == pytest.approx(kv_cache_gb(config, 17, 3, "float32") * 1e9)


def test_estimate_is_weights_plus_cache_and_needs_a_config_for_the_cache():
    total = estimate_memory_gb(8e9, "bf16", config=LLAMA_8B, context_length=1000, batch_size=2)
    assert total == pytest.approx(weights_gb(8e9, "bf16") + kv_cache_gb(LLAMA_8B, 1000, 2, "bf16"))
    assert estimate_memory_gb(8e9, "bf16") == weights_gb(8e9, "bf16")
    with pytest.raises(ValueError, match="needs the model's config"):
        estimate_memory_gb(8e9, "bf16", context_length=1000)
    with pytest.raises(ValueError, match="num_hidden_layers"):
        kv_cache_gb({"hidden_size": 64}, 10)
    with pytest.raises(ValueError, match="context_length"):
        kv_cache_gb(LLAMA_8B, -5)


def test_parameter_count_from_model_info(hf_api):
    from types import SimpleNamespace

    from course_utils.memory import parameter_count

    assert parameter_count(hf_api.model_info("meta-llama/Llama-3.1-8B-Instruct")) == 8030261248
    assert parameter_count(SimpleNamespace(safetensors=None)) is None  # repos without safetensors metadata
    assert parameter_count(SimpleNamespace()) is None


def test_estimate_matches_a_loaded_model(hf_api):
    import torch
    from transformers import AutoModel

    from course_utils.memory import parameter_count

    n = parameter_count(hf_api.model_info(MINILM))
    for dtype in (torch.float32, torch.bfloat16):
        footprint = AutoModel.from_pretrained(MINILM, dtype=dtype).get_memory_footprint()
        assert footprint == pytest.approx(weights_gb(n, dtype) * 1e9, rel=0.01)


# -- costs ----------------------------------------------------------------------------------------
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


# -- licences -------------------------------------------------------------------------------------
def test_licence_id_reads_license_name_for_other():
    assert licence_id({"license": "apache-2.0"}) == "apache-2.0"
    assert licence_id({"license": "other", "license_name": "qwen-research"}) == "qwen-research"
    assert licence_id({"license": "other"}) == "other"
    with pytest.warns(UserWarning, match="several licences .* only the first"):
        assert licence_id({"license": ["MIT", "apache-2.0"]}) == "mit"
    assert licence_id({}) is None and licence_id(None) is None


def test_every_catalogue_licence_has_a_family_row():
    families = load_licence_families()
    assert set(families["commercial_use"]) <= {"yes", "no", "conditional"}
    assert families["source"].str.startswith("https://").all()
    catalogue = json.loads((data_dir() / "catalogue" / "models.json").read_text())["models"]
    ids = {licence_id({"license": m["license"], "license_name": m["license_name"]}) for m in catalogue}
    assert ids <= set(families["licence_id"]), ids - set(families["licence_id"])


def test_join_keeps_unknown_licences_and_marks_them():
    models = pd.DataFrame({"id": ["a", "b", "c"], "licence_id": ["mit", "some-new-licence", None]})
    joined = join_licences(models)
    assert list(joined["id"]) == ["a", "b", "c"]
    assert joined.loc[0, "commercial_use"] == "yes" and joined.loc[0, "family"] == "permissive"
    assert (joined.loc[1:, "commercial_use"] == UNKNOWN).all()
    assert joined.loc[2, "licence_id"] == "none declared"
    with pytest.raises(ValueError, match="'licence_id' column"):
        join_licences(pd.DataFrame({"id": ["a"]}))


def test_allows_commercial_use():
    assert allows_commercial_use("apache-2.0") == "yes"
    assert allows_commercial_use("cc-by-nc-4.0") == "no"
    assert allows_commercial_use("llama3.1") == "conditional"
    with pytest.raises(ValueError, match="not in data/licences/licence_families.csv: read its text"):
        allows_commercial_use("my-own-licence")
    for missing in (None, ""):
        with pytest.raises(ValueError, match="The card declares no licence") as err:
            allows_commercial_use(missing)
        assert "not in data/licences" not in str(err.value)


def test_commercial_use_classes_follow_the_definition():
    # "conditional" = conditions beyond notices and passing use restrictions on: a user cap, naming rules
    families = load_licence_families().set_index("licence_id")
    for licence in ("gemma", "openrail++"):  # use restrictions to pass on, no cap, no naming rule
        assert families.loc[licence, "commercial_use"] == "yes"
    for licence in ("llama3.1", "llama3.2", "llama3.3"):  # 700M-user cap and "Built with Llama"
        assert families.loc[licence, "commercial_use"] == "conditional"
        assert "700 million" in families.loc[licence, "use_restrictions"]
    readme = (data_dir() / "licences" / "README.md").read_text()
    assert "cap on users" in readme and "naming" in readme


# -- choose_model (against the session's course hub) ---------------------------------------------
def test_choose_model_filters_and_ranks(hf_api):
    ranked = choose_model("text-generation", 4, ["apache-2.0", "mit"], api=hf_api)
    assert list(ranked.columns) == ["id", "parameters_b", "memory_gb", "licence_id", "downloads", "likes", "gated"]
    assert (ranked["memory_gb"] <= 4).all() and set(ranked["licence_id"]) <= {"apache-2.0", "mit"}
    assert list(ranked["downloads"]) == sorted(ranked["downloads"], reverse=True)
    everything = choose_model("text-generation", 1e6, None, api=hf_api)
    assert len(everything) > len(ranked)
    # Every model left out was too big or had another licence.
    for row in everything[~everything["id"].isin(ranked["id"])].itertuples():
        assert row.memory_gb > 4 or row.licence_id not in {"apache-2.0", "mit"}
    # A smaller dtype lets more (or the same) models in.
    assert len(choose_model("text-generation", 4, dtype="int4", api=hf_api)) >= len(
        choose_model("text-generation", 4, api=hf_api))


def test_choose_model_reads_other_licences_and_can_skip_gated(hf_api):
    research = choose_model("text-generation", 80, ["qwen-research"], api=hf_api)
    assert list(research["id"]) == ["Qwen/Qwen2.5-3B-Instruct"]
    with_gated = choose_model("text-generation", 80, api=hf_api)
    without = choose_model("text-generation", 80, include_gated=False, api=hf_api)
    assert with_gated["gated"].any() and not without["gated"].any()
    assert set(without["id"]) == set(with_gated.loc[~with_gated["gated"], "id"])


def test_choose_model_picks_the_expected_speech_model(hf_api):
    # whisper-large-v3 (1.54B) needs 3.1 GB in bf16; turbo (0.81B) fits 2 GB and has more downloads than small
    assert choose_model("automatic-speech-recognition", 2, api=hf_api)["id"].iloc[0] == "openai/whisper-large-v3-turbo"
    assert choose_model("automatic-speech-recognition", 4, api=hf_api)["id"].iloc[0] == "openai/whisper-large-v3"


@pytest.mark.parametrize("kwargs, message", [
    (dict(task="no-such-task", memory_budget_gb=8), "No model on .* has the task"),
    (dict(task="", memory_budget_gb=8), "task must be a Hub pipeline tag"),
    (dict(task="text-generation", memory_budget_gb=-1), "memory_budget_gb must be a positive number"),
    (dict(task="text-generation", memory_budget_gb=0), "memory_budget_gb must be a positive number"),
    (dict(task="text-generation", memory_budget_gb=math.nan), "memory_budget_gb must be a positive number"),
    (dict(task="text-generation", memory_budget_gb="8"), "memory_budget_gb must be a positive number"),
    (dict(task="text-generation", memory_budget_gb=8, dtype="int3"), "Unknown dtype"),
    (dict(task="text-generation", memory_budget_gb=8, allowed_licences=[]), "allowed_licences is empty"),
    (dict(task="text-generation", memory_budget_gb=8, candidates=0), "candidates must be a positive integer"),
    (dict(task="text-generation", memory_budget_gb=1e-6), "Raise memory_budget_gb"),
    (dict(task="text-generation", memory_budget_gb=8, allowed_licences=["wtfpl"]), "allow more licences"),
])
def test_choose_model_bad_inputs(hf_api, kwargs, message):
    with pytest.raises(ValueError, match=message):
        choose_model(**kwargs, api=hf_api)


def test_choose_model_error_without_a_licence_filter(hf_api):
    with pytest.raises(ValueError, match="any licence allowed") as err:
        choose_model("text-generation", 1e-6, None, api=hf_api)
    assert "outside []" not in str(err.value)
    with pytest.raises(ValueError, match=r"with a licence outside \['wtfpl'\]"):
        choose_model("text-generation", 8, ["wtfpl"], api=hf_api)


# -- checkers -------------------------------------------------------------------------------------
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


def test_lesson02_checkers(hf_api, capsys):
    from huggingface_hub.errors import RepositoryNotFoundError

    assert check("02.1", "qwen-research") and not check("02.1", "other") and not check("02.1", 3)
    assert check("02.2", "openai/whisper-large-v3-turbo") and check("02.2", " openai/whisper-large-v3-turbo\n")
    assert not check("02.2", "openai/whisper-small") and not check("02.2", "openai/whisper-large-v3")

    def good(repo_id):
        try:
            return hf_api.model_info(repo_id)
        except RepositoryNotFoundError:
            return None

    assert check("02.3", good)
    assert not check("02.3", hf_api.model_info)  # raises for unknown ids
    assert not check("02.3", lambda repo_id: None)  # never finds anything
    assert not check("02.3", "model_info")

    def catch_all(repo_id):
        try:
            return hf_api.model_info(repo_id)
        except Exception:
            return None

    assert not check("02.3", catch_all)  # swallows every error, not only "not found"
    out = capsys.readouterr().out
    assert "license_name" in out and "more downloads" in out and "catch it and return None" in out
    assert "let every other error" in out and "bad id!!" in out
    assert "needs about 3.09 GB in bfloat16, more than the 2.0 GB budget" in out  # whisper-large-v3
    assert "a automatic" not in out
