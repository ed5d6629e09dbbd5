"""The course hub: a local, Hub-compatible server for offline and air-gapped classrooms.

    with CourseHub(root).start() as hub:        # in-process, for tests
        os.environ["HF_ENDPOINT"] = hub.url       # (before huggingface_hub is imported)

`python -m course_offline.hub serve|build|mirror` is the command line (see __main__.py).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from ..servers import BackgroundService, ThreadedServer, bind_socket
from .server import HEALTH_PATH, create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


class CourseHubError(RuntimeError):
    """A course hub problem with a message that says what to do."""


def hub_port() -> int:
    """The local course hub's port: COURSE_HUB_PORT, or 8765."""
    value = os.environ.get("COURSE_HUB_PORT", str(DEFAULT_PORT))
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise CourseHubError(f"COURSE_HUB_PORT={value!r} must be a port number, e.g. 8766.")
    return int(value)


def hub_health(url: str, timeout: float = 2.0) -> dict | None:
    """The hub's health answer, or None when no course hub answers at `url`."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as resp:
            data = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("course_hub") else None


def bind_hub_socket(host: str, port: int):
    return bind_socket(host, port, busy_error=CourseHubError(
        f"Port {port} on {host} is already in use. If a course hub is running there, use it "
        f"(http://{host}:{port}); otherwise stop what holds the port or pick another one "
        "(COURSE_HUB_PORT=8766, or --port 8766)."))


class CourseHub(BackgroundService):
    """Serve a hub root in a background thread of this process (uvicorn, threaded workers)."""

    def __init__(self, root: Path | str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, view: str = "course hub"):
        self.root = Path(root)
        self.view = view
        self.host = host
        self.port = port
        self._server: ThreadedServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> CourseHub:
        if not self.root.is_dir():
            raise CourseHubError(f"The hub root {self.root} does not exist. Build it: `make hub-build`.")
        sock = bind_hub_socket(self.host, self.port)
        self.port = sock.getsockname()[1]  # port 0 picks a free one
        server = ThreadedServer(create_app(self.root, view=self.view), sock, "course-hub")
        if not server.start(timeout):
            raise CourseHubError(f"The course hub did not start on {self.url}")
        self._server = server
        return self
