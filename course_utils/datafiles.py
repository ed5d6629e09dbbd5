"""Every data file the course reads, checked row by row: a bad row is named by file, line and field.

Used by the price and licence loaders of lessons 01-02 (`costs`, `licences`), lesson 07's summary points and by
the course hub build (reviews, catalogue), so a broken line in data/ stops with one sentence that says where,
instead of a bare `JSONDecodeError` or a half-built hub.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .paths import data_dir, repo_root


class DataFileError(ValueError):
    """A data file the course reads is malformed; the message names the file, the line and the field."""


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


NonEmpty = Field(min_length=1)
SENTIMENT_OF_RATING = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}


class Review(_Row):
    id: str = Field(pattern=r"^r\d{4}$")
    product_id: str = Field(pattern=r"^p\d{3}$")
    product: str = NonEmpty
    category: str = NonEmpty
    rating: int = Field(ge=1, le=5, strict=True)
    title: str = NonEmpty
    text: str = NonEmpty
    sentiment: Literal["negative", "neutral", "positive"]

    @model_validator(mode="after")
    def _sentiment_follows_rating(self):
        if SENTIMENT_OF_RATING[self.rating] != self.sentiment:
            raise ValueError(f"sentiment {self.sentiment!r} does not match rating {self.rating} "
                             f"(1-2 negative, 3 neutral, 4-5 positive)")
        return self


class CatalogueModel(_Row):
    id: str = Field(pattern=r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
    pipeline_tag: str = NonEmpty
    library_name: str = NonEmpty
    license: str = NonEmpty
    license_name: str | None
    languages: list[str]
    parameters: int = Field(gt=0, strict=True)
    dtype: str = NonEmpty
    downloads: int = Field(ge=0, strict=True)
    likes: int = Field(ge=0, strict=True)
    created_at: dt.date
    last_modified: dt.date
    gated: bool | Literal["auto", "manual"]
    inference_providers: list[str]
    tags: list[str]
    summary: str = NonEmpty
    intended_uses: str = NonEmpty
    limitations: str = NonEmpty


class HostedPrice(_Row):
    provider: str = NonEmpty
    model: str = NonEmpty
    open_weights: Literal["true", "false"]
    hub_model: str
    input_usd_per_1m: float = Field(ge=0)
    output_usd_per_1m: float = Field(ge=0)
    date: dt.date
    source: str = Field(pattern=r"^https?://")


class LocalHardware(_Row):
    hardware: str = NonEmpty
    memory_gb: float = Field(gt=0)
    price_usd: float = Field(gt=0)
    power_watts: float = Field(gt=0)
    idle_watts: float = Field(ge=0)
    date: dt.date
    source: str = Field(pattern=r"^https?://")


class LicenceFamily(_Row):
    licence_id: str = NonEmpty
    name: str = NonEmpty
    family: str = NonEmpty
    commercial_use: str = NonEmpty
    attribution: str = NonEmpty
    use_restrictions: str = NonEmpty
    source: str = Field(pattern=r"^https?://")

    @field_validator("licence_id")
    @classmethod
    def _lowercase_id(cls, value: str) -> str:
        if value != value.lower():
            raise ValueError("licence ids are lower case, as in model cards")
        return value


class ProductPoints(_Row):
    product_id: str = Field(pattern=r"^p\d{3}$")
    product: str = NonEmpty
    pros: list[str] = Field(min_length=1)
    cons: list[str] = Field(min_length=1)

    @field_validator("pros", "cons")
    @classmethod
    def _points_are_sentences(cls, value: list[str]) -> list[str]:
        for point in value:
            if not point.strip() or not point.strip().endswith("."):
                raise ValueError(f"each point is one non-empty sentence ending in a full stop, got {point!r}")
        return [point.strip() for point in value]


def _where(path: Path) -> str:
    try:
        return str(path.relative_to(repo_root()))
    except ValueError:
        return str(path)


def _explain(path: Path, line: int, exc: ValidationError, row_id: str | None = None) -> DataFileError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "(the row)"
    about = f" ({row_id})" if row_id else ""
    return DataFileError(f"{_where(path)}, line {line}{about}, field {field!r}: {first['msg']}. "
                         f"Fix that line (see the folder's README for the format), then run `make hub-build`.")


def read_jsonl(path: Path, row: type[_Row]) -> list[dict]:
    """One JSON object per line, each valid as `row`; blank lines are not allowed."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(f"{_where(path)}, line {number}: not valid JSON ({exc.msg} at column {exc.colno}). "
                                "Each line must be one JSON object.") from None
        if not isinstance(data, dict):
            raise DataFileError(f"{_where(path)}, line {number}: a JSON object is expected, got {type(data).__name__}.")
        try:
            rows.append(row.model_validate(data).model_dump(mode="json"))
        except ValidationError as exc:
            raise _explain(path, number, exc, data.get("id")) from None
    return rows


def read_csv(path: Path, row: type[_Row]) -> list[dict]:
    """A CSV file with a header line; every row valid as `row` (line numbers count the header as line 1)."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        expected = list(row.model_fields)
        if reader.fieldnames != expected:
            raise DataFileError(f"{_where(path)}, line 1: the header must be {','.join(expected)}; "
                                f"found {','.join(reader.fieldnames or [])}.")
        rows = []
        for data in reader:
            if None in data:  # more cells than header names
                raise DataFileError(f"{_where(path)}, line {reader.line_num}: more cells than columns "
                                    "(a comma inside a value needs \"quotes\").")
            try:
                row.model_validate(data)
            except ValidationError as exc:
                raise _explain(path, reader.line_num, exc) from None
            rows.append(data)
    return rows


def read_catalogue(path: Path | None = None) -> dict:
    """data/catalogue/models.json: {"as_of", "source", "models": [...]}, every model entry checked."""
    path = Path(path or data_dir() / "catalogue" / "models.json")
    text = path.read_text(encoding="utf-8")
    try:
        catalogue = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{_where(path)}, line {exc.lineno}: not valid JSON ({exc.msg}).") from None
    for key in ("as_of", "source", "models"):
        if key not in catalogue:
            raise DataFileError(f"{_where(path)}: the top-level key {key!r} is missing.")
    lines = text.splitlines()
    for index, entry in enumerate(catalogue["models"]):
        try:
            CatalogueModel.model_validate(entry)
        except ValidationError as exc:
            model_id = entry.get("id") if isinstance(entry, dict) else None
            line = next((n for n, s in enumerate(lines, 1) if model_id and f'"{model_id}"' in s), 0)
            raise _explain(path, line, exc, model_id or f"models[{index}]") from None
    ids = [m["id"] for m in catalogue["models"]]
    if len(ids) != len(set(ids)):
        raise DataFileError(f"{_where(path)}: a model id is listed twice: "
                            f"{sorted({i for i in ids if ids.count(i) > 1})}.")
    return catalogue


def read_reviews(folder: Path | None = None) -> dict[str, list[dict]]:
    """The reviews dataset's splits from data/reviews/{train,validation,test}.jsonl, checked; ids unique."""
    folder = Path(folder or data_dir() / "reviews")
    splits = {name: read_jsonl(folder / f"{name}.jsonl", Review) for name in ("train", "validation", "test")}
    seen: dict[str, str] = {}
    for name, rows in splits.items():
        for r in rows:
            if r["id"] in seen:
                raise DataFileError(f"{_where(folder / f'{name}.jsonl')}: review id {r['id']} is also in "
                                    f"{seen[r['id']]}.jsonl; ids are unique across the splits.")
            seen[r["id"]] = name
    return splits



def read_points(path: Path | None = None, reviews: dict[str, list[dict]] | None = None) -> list[dict]:
    """data/points/points.jsonl (lesson 07's summary references), checked; every product id and name must be the
    reviews' own, and no product listed twice."""
    path = Path(path or data_dir() / "points" / "points.jsonl")
    rows = read_jsonl(path, ProductPoints)
    names = {r["product_id"]: r["product"] for split in (reviews or read_reviews()).values() for r in split}
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if row["product_id"] in seen:
            raise DataFileError(f"{_where(path)}, line {number}: product {row['product_id']} is listed twice.")
        seen.add(row["product_id"])
        if names.get(row["product_id"]) != row["product"]:
            raise DataFileError(f"{_where(path)}, line {number}, field 'product': {row['product']!r} is not the name "
                                f"of {row['product_id']} in data/reviews ({names.get(row['product_id'])!r}).")
    return rows
