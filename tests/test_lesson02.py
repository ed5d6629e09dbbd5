"""Lesson 02's exercise checkers (course_utils/checks/lesson02.py), against the session's course hub."""

from __future__ import annotations

from course_utils.checks import check


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
