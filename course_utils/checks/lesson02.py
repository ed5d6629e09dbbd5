"""Checkers for lesson 02's exercises. Each asks the Hub (or the course hub) for the expected answer."""

from __future__ import annotations

import uuid

from . import exercise

# 02.2: the most downloaded model for a task that fits a memory budget
LESSON02_TASK = "automatic-speech-recognition"
LESSON02_BUDGET_GB = 2.0
LESSON02_DTYPE = "bfloat16"
# 02.1: a card whose licence is "other"
LESSON02_CARD_MODEL = "Qwen/Qwen2.5-VL-3B-Instruct"


@exercise("02.2")
def _most_downloaded(answer) -> tuple[bool, str]:
    from ..choose import choose_model

    ranked = choose_model(LESSON02_TASK, LESSON02_BUDGET_GB, dtype=LESSON02_DTYPE)
    expected = ranked["id"].iloc[0]
    if not isinstance(answer, str):
        return False, "give the model id as a string, e.g. 'org/name'."
    answer = answer.strip()
    if answer == expected:
        row = ranked.iloc[0]
        return True, (f"{expected}: {row.parameters_b:.2f}B parameters, about {row.memory_gb:.2f} GB in "
                      f"{LESSON02_DTYPE}, {row.downloads:,} downloads.")
    if answer in set(ranked["id"]):
        return False, f"{answer} fits, but another model that fits has more downloads: sort by downloads."
    sized = choose_model(LESSON02_TASK, 1e12, dtype=LESSON02_DTYPE).set_index("id")["memory_gb"]
    if answer in sized.index:
        return False, (f"{answer} needs about {sized[answer]:.2f} GB in {LESSON02_DTYPE}, more than the "
                       f"{LESSON02_BUDGET_GB} GB budget.")
    return False, (f"{answer!r} is not among the {LESSON02_TASK!r} models that fit {LESSON02_BUDGET_GB} GB in "
                   f"{LESSON02_DTYPE}: list the task's models with their safetensors parameter counts, estimate each "
                   "one's memory, keep those within the budget, then take the most downloaded.")


@exercise("02.1")
def _card_licence(answer) -> tuple[bool, str]:
    from huggingface_hub import ModelCard

    from ..licences import licence_id

    data = ModelCard.load(LESSON02_CARD_MODEL).data
    expected = licence_id(data)
    if not isinstance(answer, str):
        return False, "give the licence id as a string."
    if answer.strip().lower() == expected:
        return True, f"the card says license: {data.license}, license_name: {expected}."
    if answer.strip().lower() == str(data.license).lower():
        return False, f"'{data.license}' only says it is not a standard licence: which one does license_name name?"
    return False, "load the card with ModelCard.load(...) and read card.data.license (and license_name)."


@exercise("02.3")
def _unknown_id(answer) -> tuple[bool, str]:
    from huggingface_hub.errors import RepositoryNotFoundError

    if not callable(answer):
        return False, "give a function: safe_model_info(repo_id) that returns the ModelInfo, or None for an unknown id."
    unknown = f"open-models-course/no-such-model-{uuid.uuid4().hex[:8]}"
    try:
        missing = answer(unknown)
    except RepositoryNotFoundError:
        return False, "an unknown id still raises RepositoryNotFoundError: catch it and return None."
    except Exception as exc:
        return False, f"calling it with an unknown id raised {type(exc).__name__}: {exc}"
    if missing is not None:
        return False, f"for the unknown id {unknown!r} it returned {missing!r}, not None."
    known = "sentence-transformers/all-MiniLM-L6-v2"
    try:
        found = answer(known)
    except Exception as exc:
        return False, f"calling it with {known!r} raised {type(exc).__name__}: {exc}"
    if getattr(found, "id", None) != known:
        return False, f"for {known!r} it should return model_info's answer (with .id), got {found!r}."
    malformed = "bad id!!"  # not a valid repo id: model_info raises HFValidationError, not RepositoryNotFoundError
    try:
        got = answer(malformed)
    except RepositoryNotFoundError:
        return False, f"{malformed!r} raised RepositoryNotFoundError; model_info raises a different error for it."
    except Exception as exc:
        return True, (f"unknown ids give None, known ids their ModelInfo, and other errors surface (the malformed id "
                      f"{malformed!r} raised {type(exc).__name__}).")
    return False, (f"the malformed id {malformed!r} returned {got!r} instead of raising: catch only "
                   "RepositoryNotFoundError, and let every other error (bad ids, network, server) through.")
