"""The course inference server: answers what Hugging Face Inference Providers answer, for offline lessons.

Online, lessons call the router (https://router.huggingface.co) with your token. Offline, the same code calls
this server, which serves the course hub's models (HF_ENDPOINT) and can be told to fail on purpose:

    with InferenceServer(tokens={"hf_..."}, port=0) as server:   # in-process, 127.0.0.1, a free port
        server.simulate(429, times=2, retry_after=1)              # the next two requests: rate limited
        InferenceClient(base_url=server.url + "/v1", api_key="hf_...").chat_completion(...)

`start_inference_server()` is the lesson's one call: it starts a server for this kernel and exports its URL as
COURSE_INFERENCE_URL (the lessons read that variable; its default is the router). Routes: see server.py.
It also answers the Ollama API (ollama.py, lesson 06) and exports OLLAMA_HOST, so `import ollama` finds it.
"""

from __future__ import annotations

import atexit
import os
import secrets
import urllib.error
import urllib.request

from ..servers import BackgroundService, ThreadedServer, bind_socket
from .models import REGISTRY, ModelRegistry, split_model
from .ollama import ollama_routes
from .server import HEALTH_PATH, ServerState, create_app

ROUTER_URL = "https://router.huggingface.co"
URL_VARIABLE = "COURSE_INFERENCE_URL"
OLLAMA_VARIABLE = "OLLAMA_HOST"
PORT_VARIABLE = "COURSE_INFERENCE_PORT"
DEFAULT_HOST = "127.0.0.1"

__all__ = ["ROUTER_URL", "URL_VARIABLE", "InferenceServer", "InferenceServerError", "inference_health",
           "split_model", "start_inference_server"]


class InferenceServerError(RuntimeError):
    """The server cannot start or answer; the message says what to do."""


def inference_health(url: str, timeout: float = 2.0) -> bool:
    """Does a course inference server answer at `url`?"""
    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class InferenceServer(BackgroundService):
    """Serve the inference routes from a background thread of this process (uvicorn).

    tokens: the tokens it accepts (compared as hashes; None: no token needed). Answers 401 to any other.
    tokens_per_chunk: tokens per streamed chat chunk (1; more, like servers that batch their stream).
    ollama: also answer the Ollama API (no token, as Ollama; the calls lesson 06 makes, see ollama.py).
    `extra_routes` come after the router's routes and before the Ollama ones.
    """

    def __init__(self, tokens: set[str] | None = None, host: str = DEFAULT_HOST, port: int = 0,
                 registry: ModelRegistry | None = None, extra_routes: list | None = None, ollama: bool = True,
                 tokens_per_chunk: int = 1):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise InferenceServerError(f"host={host!r}: the course inference server only binds to 127.0.0.1.")
        self.host, self.port = host, port
        if isinstance(tokens_per_chunk, bool) or not isinstance(tokens_per_chunk, int) or tokens_per_chunk < 1:
            raise InferenceServerError(f"tokens_per_chunk must be a whole number >= 1, got {tokens_per_chunk!r}.")
        self.state = ServerState(set(tokens) if tokens is not None else None, registry or REGISTRY)
        self.state.tokens_per_chunk = tokens_per_chunk
        self._extra_routes = extra_routes
        self.ollama = ollama
        self._server: ThreadedServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def faults(self):
        return self.state.faults

    @property
    def requests(self) -> list[tuple[float, str, int]]:
        """(monotonic time, path, status) of the latest requests (up to 10,000); never headers or bodies."""
        return list(self.state.requests)

    def simulate(self, status: int | None = None, times: int = 1, retry_after: float | None = None,
                 delay: float = 0.0) -> InferenceServer:
        """Answer the next `times` requests with `status` (429, 503, 5xx) after `delay` seconds.

        status=None with a delay: a slow but normal answer, to meet client timeouts.
        """
        self.state.faults.add(status, times, retry_after, delay)
        return self

    def start(self, timeout: float = 15.0) -> InferenceServer:
        if self.running:
            return self
        sock = bind_socket(self.host, self.port, busy_error=InferenceServerError(
            f"Port {self.port} on {self.host} is already in use, so the course inference server cannot start there. "
            f"Stop what holds it, or choose another port: port=0 picks a free one ({PORT_VARIABLE}=0 in .env "
            "for the lessons)."))
        self.port = sock.getsockname()[1]
        try:
            server = ThreadedServer(create_app(self.state, self._routes), sock, "course-inference",
                                    timeout_graceful_shutdown=2)
        except BaseException:
            sock.close()  # or the port stays taken until this kernel exits
            raise
        if not server.start(timeout):
            raise InferenceServerError(f"The course inference server did not start on {self.url}.")
        self._server = server
        return self

    def _routes(self, state: ServerState) -> list:
        extra = self._extra_routes
        routes = list((extra(state) if callable(extra) else extra) or [])
        return routes + (ollama_routes(state) if self.ollama else [])


def start_inference_server(port: int | None = None, verbose: bool = True, make_token: bool = True) -> InferenceServer:
    """Start a course inference server for this kernel and point COURSE_INFERENCE_URL at it.

    It accepts HF_TOKEN; without one it makes a course-only token, puts it in HF_TOKEN for this kernel (it is
    worthless anywhere else) and says so. make_token=False (online, where a made-up HF_TOKEN would be refused
    by huggingface.co): without HF_TOKEN it makes none and asks for none. It also answers the Ollama API and
    sets OLLAMA_HOST to its URL unless OLLAMA_HOST is already set (call it before `import ollama`: the
    module-level client reads OLLAMA_HOST at import). The server stops when the kernel exits.
    """
    if port is None:
        value = os.environ.get(PORT_VARIABLE, "0")
        if not value.isdigit() or int(value) > 65535:
            raise InferenceServerError(f"{PORT_VARIABLE}={value!r} must be a port number (0: any free port).")
        port = int(value)
    has_token = bool(os.environ.get("HF_TOKEN", "").strip())
    made_token = make_token and not has_token
    if made_token:
        os.environ["HF_TOKEN"] = "hf_course" + secrets.token_hex(16)
    tokens = {os.environ["HF_TOKEN"].strip()} if has_token or made_token else None
    server = InferenceServer(tokens=tokens, port=port).start()
    atexit.register(server.stop)
    os.environ[URL_VARIABLE] = server.url
    ollama_host = os.environ.get(OLLAMA_VARIABLE, "").strip()
    if not ollama_host:
        os.environ[OLLAMA_VARIABLE] = server.url
    if verbose:
        print(f"Course inference server started in this kernel at {server.url} ({URL_VARIABLE} now points at it).")
        print("  It answers the router's routes with the course hub's models; chat models without weights there "
              "are answered by the real SmolLM2-135M-Instruct (header X-Course-Served-By).")
        print("  HF_TOKEN  " + ("not set: using a course-only token for this kernel (it works nowhere else)"
                                if made_token else "set: the server accepts it and never logs it" if has_token
                                else "not set: the server asks for no token"))
        print(f"  {OLLAMA_VARIABLE}  " + (f"now {server.url}: the ollama client talks to this server's Ollama API"
                                          if not ollama_host else f"already set to {ollama_host}: the ollama client "
                                          "talks to that, not to this server"))
    return server
