"""course_utils/tokens.py (lessons 00 and 05): .env loading; token_status() says only whether a token is set."""

from __future__ import annotations

import os

from course_utils.tokens import load_dotenv_file, token_status

FAKE_TOKEN = "hf_" + "FakeTokenForTestsOnly" * 2


def test_tokens_from_dotenv_are_loaded_but_never_shown(tmp_path, monkeypatch):
    # set, then delete: monkeypatch then removes the token .env puts here (a delenv of an absent variable records
    # nothing, and the fake token leaked into later tests, where the course hub took it as a licence accepted)
    monkeypatch.setenv("HF_TOKEN", "placeholder")
    monkeypatch.delenv("HF_TOKEN")
    env_file = tmp_path / ".env"
    env_file.write_text(f"HF_TOKEN={FAKE_TOKEN}\n")
    assert token_status() == {"HF_TOKEN": "not set"}
    assert load_dotenv_file(env_file) == env_file
    assert os.environ["HF_TOKEN"] == FAKE_TOKEN
    assert token_status() == {"HF_TOKEN": "set"}
    assert FAKE_TOKEN not in repr(token_status())
    monkeypatch.setenv("HF_TOKEN", "from-the-shell")
    load_dotenv_file(env_file)  # what the shell set wins over .env
    assert os.environ["HF_TOKEN"] == "from-the-shell"
    assert load_dotenv_file(tmp_path / "missing.env") is None


def test_a_token_saved_by_login_counts(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert token_status() == {"HF_TOKEN": "not set"}
    (tmp_path / "token").write_text(FAKE_TOKEN)
    assert token_status() == {"HF_TOKEN": "saved by hf auth login"}
