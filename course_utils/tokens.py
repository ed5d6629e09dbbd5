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


def token_status(names: tuple[str, ...] = KNOWN_TOKENS) -> dict[str, str]:
    """name -> 'set' or 'not set'. Never the value, nor a prefix of it."""
    return {name: "set" if os.environ.get(name, "").strip() else "not set" for name in names}
