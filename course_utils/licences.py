"""Licences of models, joined with a small table of licence families (introduced in lesson 01).

A model card declares its licence in its metadata: `license: apache-2.0`, or `license: other` with
`license_name: qwen-research`. data/licences/licence_families.csv says what each one allows.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .datafiles import LicenceFamily, read_csv
from .paths import data_dir

FAMILY_COLUMNS = ["licence_id", "name", "family", "commercial_use", "attribution", "use_restrictions", "source"]
UNKNOWN = "unknown: read the licence"


def load_licence_families() -> pd.DataFrame:
    """data/licences/licence_families.csv as a DataFrame (one row per licence id)."""
    path = data_dir() / "licences" / "licence_families.csv"
    read_csv(path, LicenceFamily)  # a bad row: file, line, field
    table = pd.read_csv(path, keep_default_na=False)
    missing = set(FAMILY_COLUMNS) - set(table.columns)
    if missing:
        raise ValueError(f"{path} lacks the columns {sorted(missing)}")
    if table["licence_id"].duplicated().any():
        raise ValueError(f"{path} lists a licence id twice")
    return table


def licence_id(card_data: Any) -> str | None:
    """The licence id a card declares: `license`, or `license_name` when the licence is `other`.

    Takes a card's metadata (`ModelCard.load(id).data`, `model_info(id).card_data`) or a plain dict.
    A few cards list several licences: only the first is returned, with a warning naming the others
    (read them all). None when the card declares no licence.
    """
    if card_data is None:
        return None
    data = card_data if isinstance(card_data, Mapping) else card_data.to_dict()
    licence = data.get("license")
    if isinstance(licence, list):
        if len(licence) > 1:
            warnings.warn(f"The card lists several licences {licence}: licence_id returns only the first, "
                          f"{licence[0]!r}. Read all of them.", UserWarning, stacklevel=2)
        licence = licence[0] if licence else None
    if licence == "other" and data.get("license_name"):
        return str(data["license_name"]).lower()
    return str(licence).lower() if licence else None


def join_licences(models: pd.DataFrame, families: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add the licence family columns to a table of models that has a `licence_id` column.

    Models whose licence is missing from the families table are kept, marked UNKNOWN: never assume.
    """
    if "licence_id" not in models.columns:
        raise ValueError("The models table needs a 'licence_id' column (use licence_id(card_data) per model).")
    families = load_licence_families() if families is None else families
    joined = models.merge(families, on="licence_id", how="left", validate="many_to_one")
    for column in ("family", "commercial_use", "attribution", "use_restrictions"):
        joined[column] = joined[column].fillna(UNKNOWN)
    joined["licence_id"] = joined["licence_id"].fillna("none declared")
    return joined


def allows_commercial_use(licence: str | None, families: pd.DataFrame | None = None) -> str:
    """'yes', 'no' or 'conditional' for a licence id; ValueError for a licence not in the table, or None.

    'conditional' means conditions beyond keeping notices and passing use restrictions on to your users:
    a cap on users, naming or branding rules (data/licences/README.md).
    """
    if licence is None or not str(licence).strip():
        raise ValueError("The card declares no licence (licence id None). Without a licence the authors keep all "
                         "rights: do not assume any use is allowed; read the repo's files and ask the authors.")
    families = load_licence_families() if families is None else families
    row = families[families["licence_id"] == str(licence).lower()]
    if row.empty:
        raise ValueError(f"Licence {licence!r} is not in data/licences/licence_families.csv: read its text before "
                         "using the model, and add a row if the course should know it.")
    return str(row["commercial_use"].iloc[0])
