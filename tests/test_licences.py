"""course_utils/licences.py (lesson 01 section 4, lesson 02 section 5): licence ids and families, the join,
commercial use."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from course_utils.licences import UNKNOWN, allows_commercial_use, join_licences, licence_id, load_licence_families
from course_utils.paths import data_dir


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
