"""course_utils/choose.py (lesson 02 section 5): choose_model against the session's course hub, bad inputs
included."""

from __future__ import annotations

import math

import pytest

from course_utils.choose import choose_model


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
