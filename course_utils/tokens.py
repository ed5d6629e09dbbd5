"""Tokens and keys from the environment or a `.env` file. Only their presence is ever shown."""

from __future__ import annotations

import os
from pathlib import Path

KNOWN_TOKENS = ("HF_TOKEN",)


def load_dotenv_file(path: Path | str | None = None) -> Path | None:
    """Load `.env` (default: the course folder's) into os.environ without overriding what is set."""
    from dotenv import load_dotenv

    from .paths import repo_root

    path = Path(path) if path else repo_root() / ".env"
    if not path.is_file():
        return None
    load_dotenv(path, override=False)
    return path


def _saved_hf_token() -> bool:
    """Is there a token saved by `hf auth login` where huggingface_hub will look ($HF_HOME/token)?"""
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return Path(os.environ.get("HF_TOKEN_PATH") or os.path.join(home, "token")).is_file()


def token_status(names: tuple[str, ...] = KNOWN_TOKENS) -> dict[str, str]:
    """name -> 'set', 'saved by hf auth login' or 'not set'. Never the value, nor a prefix of it."""
    status = {}
    for name in names:
        if os.environ.get(name, "").strip():
            status[name] = "set"
        elif name == "HF_TOKEN" and _saved_hf_token():
            status[name] = "saved by hf auth login"
        else:
            status[name] = "not set"
    return status
