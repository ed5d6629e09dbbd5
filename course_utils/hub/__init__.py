"""The course hub: a local, Hub-compatible server for offline and air-gapped classrooms.

    with CourseHub(root).start() as hub:        # in-process, for tests
        os.environ["HF_ENDPOINT"] = hub.url       # (before huggingface_hub is imported)

`python -m course_utils.hub serve|build|mirror` is the command line (see __main__.py).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

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


def bind_socket(host: str, port: int, busy_error: Exception | None = None) -> socket.socket:
    """Bind first, so a busy port is a clear error instead of a server that silently never starts.

    `busy_error` is raised when the port is taken (default: the course hub's message)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise busy_error or CourseHubError(
                f"Port {port} on {host} is already in use. If a course hub is running there, use it "
                f"(http://{host}:{port}); otherwise stop what holds the port or pick another one "
                "(COURSE_HUB_PORT=8766, or --port 8766)."
            ) from None
        raise
    sock.listen(128)
    return sock


class ThreadedServer:
    """An ASGI app served by uvicorn in a daemon thread of this process, on an already bound socket
    (the course hub here, the course inference server in lesson 05)."""

    def __init__(self, app, sock: socket.socket, name: str, **config):
        import uvicorn

        self.sock = sock
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                                    timeout_keep_alive=30, **config))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)

    def start(self, timeout: float) -> bool:
        """Start and wait until it serves; False (and everything closed) if it did not within `timeout`."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                self.sock.close()
                return False
            time.sleep(0.02)
        return True

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)


class BackgroundService:
    """What the course hub and the course inference server share: a ThreadedServer once started,
    `running`, `stop()`, and use as a context manager (started on entry if needed, stopped on exit)."""

    _server: ThreadedServer | None = None

    def start(self, timeout: float = 15.0):
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self):
        return self if self.running else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def hub_health(url: str, timeout: float = 2.0) -> dict | None:
    """The hub's health answer, or None when no course hub answers at `url`."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as resp:
            data = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("course_hub") else None


class CourseHub(BackgroundService):
    """Serve a hub root in a background thread of this process (uvicorn, threaded workers)."""

    def __init__(self, root: Path | str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT):
        self.root = Path(root)
        self.host = host
        self.port = port
        self._server: ThreadedServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> CourseHub:
        if not self.root.is_dir():
            raise CourseHubError(f"The hub root {self.root} does not exist. Build it: `make hub-build`.")
        sock = bind_socket(self.host, self.port)
        self.port = sock.getsockname()[1]  # port 0 picks a free one
        server = ThreadedServer(create_app(self.root), sock, "course-hub")
        if not server.start(timeout):
            raise CourseHubError(f"The course hub did not start on {self.url}")
        self._server = server
        return self
