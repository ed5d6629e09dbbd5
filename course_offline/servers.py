"""Server plumbing shared by the course hub and the course inference server: bind a port first (a busy
port is a clear error), serve an ASGI app with uvicorn in a daemon thread, stop it, use it as a context manager."""

from __future__ import annotations

import errno
import socket
import threading
import time


def bind_socket(host: str, port: int, busy_error: Exception | None = None) -> socket.socket:
    """Bind first, so a busy port is a clear error (`busy_error`, which says what to do) instead of a server
    that silently never starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise (busy_error or exc) from None
        raise
    sock.listen(128)
    return sock


class ThreadedServer:
    """An ASGI app served by uvicorn in a daemon thread of this process, on an already bound socket
    (the course hub, the course inference server)."""

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
