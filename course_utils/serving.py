"""Local OpenAI-compatible servers started from a notebook (lesson 06): `transformers serve`, llama.cpp.

    from openai import OpenAI

    with transformers_serve("HuggingFaceTB/SmolLM2-135M-Instruct") as server:
        client = OpenAI(base_url=server.base_url, api_key="unused")
        client.chat.completions.create(model="HuggingFaceTB/SmolLM2-135M-Instruct", messages=[...])

Each server is a child process in its own process group, on 127.0.0.1 and a free port, logging to
build/servers/NAME-PORT.log. Leaving the `with` block, `stop()` or the end of the kernel stops it. A kernel that is
killed (the out-of-memory killer, SIGKILL) runs no exit handler, so each running server also leaves a record,
NAME-PORT.json, naming the kernel; `setup()` and `make hub-stop` stop the servers whose kernel is gone
(`stop_orphaned_servers`). The newest 20 logs are kept.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import psutil

from course_offline.servers import bind_socket

from .paths import build_dir
from .threads import course_threads

__all__ = ["LocalServer", "LocalServerError", "llama_cpp_server", "stop_orphaned_servers", "transformers_serve"]

PORT_PLACEHOLDER = "{port}"
_POLL_SECONDS = 0.2
_STOP_SECONDS = 10.0
_KEEP_LOGS = 20  # server logs kept in a log folder; older ones (of servers no longer running) are removed
_SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD", re.IGNORECASE)
_HF_TOKEN = re.compile(r"\bhf_[A-Za-z0-9]{20,}")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 never goes via a proxy


class LocalServerError(RuntimeError):
    """A local server did not start or answer; the message says what happened and what to do."""


def _free_port(host: str) -> int:
    sock = bind_socket(host, 0)
    try:
        return sock.getsockname()[1]
    finally:
        sock.close()


def _redact(text: str, env: dict[str, str]) -> str:
    """Hide the values of token-like variables, and anything shaped like an HF token."""
    for name, value in env.items():
        if value and len(value) >= 8 and _SECRET_NAME.search(name):
            text = text.replace(value, f"<{name} hidden>")
    return _HF_TOKEN.sub("<token hidden>", text)


def _default_threads() -> int:
    threads = course_threads()
    if threads is not None:
        return threads
    import torch

    return torch.get_num_threads()


class LocalServer:
    """A server process started from the notebook; `with` stops it.

    `{port}` in `command` (and in `env` values) is replaced by the port; port=0 picks a free one. Healthy: a GET
    of `health_path` answers 200. The child inherits os.environ, updated with `env` (None removes a variable).
    """

    def __init__(self, command: list[str], port: int, name: str, health_path: str = "/health",
                 host: str = "127.0.0.1", env: dict[str, str | None] | None = None, startup_timeout: float = 120.0,
                 log_path: Path | None = None):
        if not command:
            raise LocalServerError(f"{name}: the command is empty; give the program and its arguments as a list.")
        if not 0 <= int(port) < 65536:
            raise LocalServerError(f"{name}: port={port!r} is not a port number; use port=0 to pick a free one.")
        self.command = [str(part) for part in command]
        self.name = name
        self.host = host
        self.health_path = "/" + health_path.lstrip("/")
        self.env = {key: None if value is None else str(value) for key, value in (env or {}).items()}
        self.startup_timeout = float(startup_timeout)
        self._auto_port = int(port) == 0
        self.port = _free_port(host) if self._auto_port else int(port)
        self._log_path = Path(log_path) if log_path is not None else None
        self.process: subprocess.Popen | None = None  # the latest one, kept after it stops (pid, returncode)
        self._owned: subprocess.Popen | None = None  # the one stop() has still to stop

    def __repr__(self) -> str:
        return f"<LocalServer {self.name} {self.url} {'running' if self.running else 'stopped'}>"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible root: what `OpenAI(base_url=...)` and `InferenceClient(base_url=...)` take."""
        return self.url + "/v1"

    @property
    def running(self) -> bool:
        return self._owned is not None and self._owned.poll() is None

    @property
    def log_path(self) -> Path:
        return self._log_path or build_dir() / "servers" / f"{self.name}-{self.port}.log"

    @property
    def record_path(self) -> Path:
        """Written while the server runs: its pid and the kernel's, so a later setup() can stop an orphan."""
        return self.log_path.with_suffix(".json")

    def _argv(self) -> list[str]:
        return [part.replace(PORT_PLACEHOLDER, str(self.port)) for part in self.command]

    def _child_env(self) -> dict[str, str]:
        ours = {key: value if value is None else value.replace(PORT_PLACEHOLDER, str(self.port))
                for key, value in self.env.items()}
        return {key: value for key, value in {**os.environ, **ours}.items() if value is not None}

    def _say(self, text: str) -> str:
        return _redact(text, self._child_env())

    def _health(self) -> int | None:
        """The HTTP status of the health check, or None when nothing answers yet."""
        try:
            with _NO_PROXY.open(self.url + self.health_path, timeout=2) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            exc.close()
            return exc.code
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's log (without progress bars, health checks or tokens)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        polls = f'"GET {self.health_path} HTTP'  # our own health checks, in the access log
        kept = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
        kept = [line for line in kept if line.strip() and polls not in line]
        return self._say("\n".join(kept[-lines:]))

    def _failure(self, what: str, hint: str) -> LocalServerError:
        tail = self.log_tail()
        log = f"\nLast lines of {self.log_path}:\n{tail}" if tail else f"\nIts log ({self.log_path}) is empty."
        return LocalServerError(self._say(f"{what} {hint}") + log)

    def start(self) -> LocalServer:
        """Launch the process and wait until it is healthy (nothing to do when it already runs)."""
        if self.running:
            return self
        self.stop()  # a server that died on its own: tidy up after it before launching a new one
        busy = LocalServerError(
            f"{self.name}: port {self.port} on {self.host} is already in use, so the server was not started. "
            "Stop what holds it (an earlier server? `server.stop()`, or restart that kernel), "
            "or pass port=0 to pick a free port.")
        try:
            bind_socket(self.host, self.port, busy_error=busy).close()
        except LocalServerError:
            if not self._auto_port:
                raise
            self.port = _free_port(self.host)
        except OSError as exc:
            raise LocalServerError(f"{self.name}: cannot listen on {self.host}:{self.port} ({exc.strerror}). "
                                   "Use host='127.0.0.1'.") from None
        path = self.log_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as log:
            try:
                self.process = self._owned = subprocess.Popen(
                    self._argv(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=self._child_env(), start_new_session=True)
            except OSError as exc:
                raise LocalServerError(self._say(
                    f"{self.name}: could not run {self._argv()[0]!r} ({exc.strerror}). Is it installed in this "
                    "environment? `make repair` reinstalls the course's packages.")) from None
        atexit.register(self.stop)  # a kernel that exits or restarts leaves no server behind
        _write_record(self.record_path, self._owned, self.name, self.port)  # and one that is killed, its record
        _prune_logs(path.parent)
        try:
            self._wait_healthy()
        except BaseException:  # KeyboardInterrupt (the notebook's stop button) included
            self.stop()
            raise
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        where = self.url + self.health_path
        while True:
            code = self._owned.poll()
            if code is not None:
                self.stop()
                if "address already in use" in self.log_tail(50).lower():
                    raise self._failure(
                        f"{self.name}: port {self.port} was taken by another program just as the server started.",
                        "Start it again with port=0 (a fresh free port), or stop what holds that port.")
                if code < 0:
                    raise self._failure(f"{self.name} was killed by signal {-code} before it was healthy.",
                                        "Out of memory? Try a smaller model; its log is below.")
                raise self._failure(f"{self.name} exited with code {code} before it was healthy.",
                                    "Its log below says why.")
            status = self._health()
            if status == 200:
                return
            if status in (401, 403):
                self.stop()
                raise self._failure(
                    f"{self.name} answers {status} at {where}: it wants an API key, so it was stopped.",
                    "Remove the key setting from its command or environment (env={'API_KEY': None}).")
            if time.monotonic() > deadline:
                self.stop()
                raise self._failure(
                    f"{self.name} never became healthy at {where} within {self.startup_timeout:g} s; it was stopped.",
                    "If its log shows it still loading (a first start downloads the model), pass a larger "
                    "startup_timeout; otherwise the log below says what it was doing.")
            time.sleep(_POLL_SECONDS)

    def stop(self) -> None:
        """Stop the whole process group: terminate, wait up to 10 s, then kill (nothing to do when stopped)."""
        process, self._owned = self._owned, None
        if process is None:
            atexit.unregister(self.stop)
            return
        was_running = process.poll() is None
        try:
            if was_running:
                self._signal(process, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(_STOP_SECONDS)
        finally:  # even if interrupted while waiting: never leave the server running
            if was_running:  # (a group that ended long ago is not signalled: its id may belong to another now)
                self._signal(process, signal.SIGKILL)  # the server, and anything it started and left behind
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(_STOP_SECONDS)
            atexit.unregister(self.stop)
            with contextlib.suppress(OSError):
                self.record_path.unlink()

    @staticmethod
    def _signal(process: subprocess.Popen, sig: int) -> None:
        try:
            if hasattr(os, "killpg"):
                os.killpg(process.pid, sig)  # its own group (start_new_session): the group id is its pid
            elif process.poll() is None and sig == signal.SIGTERM:
                process.terminate()
            elif process.poll() is None:
                process.kill()
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _started(pid: int) -> float | None:
    """A process's start time (tells it apart from a later process that got the same pid), or None if gone."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _write_record(path: Path, process: subprocess.Popen, name: str, port: int) -> None:
    record = {"name": name, "port": port, "pid": process.pid, "started": _started(process.pid),
              "kernel_pid": os.getpid(), "kernel_started": _started(os.getpid())}
    path.write_text(json.dumps(record), encoding="utf-8")


def _prune_logs(folder: Path, keep: int = _KEEP_LOGS) -> None:
    """Keep the newest `keep` logs; a log whose server still runs (its record exists) is never removed."""
    logs = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[keep:]:
        if not old.with_suffix(".json").exists():
            with contextlib.suppress(OSError):
                old.unlink()


def stop_orphaned_servers(folder: Path | None = None, verbose: bool = True) -> list[str]:
    """Stop the servers whose kernel died without stopping them (killed, out of memory); returns what was stopped.

    Each running LocalServer keeps a record beside its log (build/servers/ by default). A record whose kernel is
    gone and whose server still runs (the same process: pid and start time) is an orphan: its process group gets
    SIGTERM, then SIGKILL. Records of servers that ended are removed; live kernels' servers are left alone.
    """
    stopped = []
    for path in sorted((folder or build_dir() / "servers").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            pid, kernel = int(record["pid"]), int(record["kernel_pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a server record
        if record.get("kernel_started") is not None and _started(kernel) == record["kernel_started"]:
            continue  # its kernel still runs: that kernel stops it
        if record.get("started") is not None and _started(pid) == record["started"]:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if hasattr(os, "killpg"):
                        os.killpg(pid, sig)  # its own group (start_new_session): the group id is its pid
                    else:
                        os.kill(pid, sig)
                with contextlib.suppress(psutil.Error):
                    psutil.Process(pid).wait(_STOP_SECONDS / 2)
                if _started(pid) is None:
                    break
            stopped.append(f"{record.get('name', 'server')} on port {record.get('port')} (pid {pid})")
        with contextlib.suppress(OSError):
            path.unlink()
    if stopped and verbose:
        print(f"Stopped {len(stopped)} server(s) left running by a kernel that died: {', '.join(stopped)}.")
    return stopped


def _threads_env(threads: int | None, env: dict[str, str | None] | None) -> tuple[int, dict[str, str | None]]:
    threads = int(threads) if threads is not None else _default_threads()
    return threads, {**(env or {}), "OMP_NUM_THREADS": str(threads)}


def _hf_hub_cache(env: dict[str, str | None]) -> Path:
    """Where huggingface_hub in the child will keep its cache (HF_HUB_CACHE, HF_HOME/hub or the default)."""
    merged = {key: value for key, value in {**os.environ, **env}.items() if value is not None}
    if merged.get("HF_HUB_CACHE"):
        return Path(merged["HF_HUB_CACHE"]).expanduser()
    xdg = merged.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(merged.get("HF_HOME") or os.path.join(xdg, "huggingface")).expanduser() / "hub"


def transformers_serve(model: str | None = None, port: int = 0, threads: int | None = None,
                       extra_args: Sequence[str] = (), **kw) -> LocalServer:
    """`transformers serve` on 127.0.0.1, with `model` preloaded (healthy once it is loaded).

    With a model, requests must name it (another name answers 400). Without one, it loads whichever model
    a request names, on first use. `extra_args` go to the command line
    (e.g. ["--dtype", "float32"]); `kw` to LocalServer (env, startup_timeout, log_path, name).
    """
    threads, env = _threads_env(threads, kw.pop("env", None))
    _hf_hub_cache(env).mkdir(parents=True, exist_ok=True)  # GET /v1/models scans it and answers 500 without it
    host = kw.pop("host", "127.0.0.1")
    command = [str(Path(sys.executable).parent / "transformers"), "serve", "--host", host,
               "--port", PORT_PLACEHOLDER, *extra_args]
    if model:
        command.append(model)
    kw.setdefault("name", "transformers-serve")
    return LocalServer(command, port, host=host, env=env, health_path="/health", **kw)


def llama_cpp_server(model_path: str | Path, port: int = 0, threads: int | None = None, n_ctx: int = 512,
                     extra_args: Sequence[str] = (), **kw) -> LocalServer:
    """llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`) for one GGUF file.

    Healthy once GET /v1/models answers, which it does after the model is loaded. The model's id is its path;
    requests may name any model. `threads` is used for decoding and for the prompt (llama.cpp's default for the
    prompt is every core).
    """
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise LocalServerError(f"No GGUF file at {path}. Convert or download one first, then pass its path.")
    threads, env = _threads_env(threads, kw.pop("env", None))
    host = kw.pop("host", "127.0.0.1")
    # llama_cpp.server lets HOST and PORT override its flags, and reads API_KEY and CONFIG_FILE too
    env = {"HOST": host, "PORT": PORT_PLACEHOLDER, "API_KEY": None, "CONFIG_FILE": None, **env}
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--host", host,
               "--port", PORT_PLACEHOLDER, "--n_threads", str(threads), "--n_threads_batch", str(threads),
               "--n_ctx", str(n_ctx), *extra_args]
    kw.setdefault("name", "llama-cpp")
    return LocalServer(command, port, host=host, env=env, health_path="/v1/models", **kw)
