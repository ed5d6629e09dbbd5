"""`setup()`: the one call at the top of every lesson.

It decides between huggingface.co and the local course hub, starts the hub when needed, and sets
HF_ENDPOINT and HF_HOME *before* huggingface_hub is imported (the library reads them at import time).
Then threads, seeds and one short status block. Running it again is harmless.
"""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from . import environment, tokens
from .paths import build_dir, course_hf_home, hub_root
from .threads import course_threads

HF_HUB_URL = "https://huggingface.co"
MODES = ("auto", "local", "remote")


class CourseSetupError(RuntimeError):
    """Setup cannot go on; the message says what to do."""


class CourseHubGoneError(ConnectionError):
    """The course hub this kernel uses stopped answering; the message says how to bring it back."""


def _fail_fast_when_the_hub_stops(endpoint: str) -> None:
    """Make huggingface_hub (and so transformers, datasets, ...) raise CourseHubGoneError at once when the course
    hub refuses connections, instead of retrying each file with growing waits before a generic error."""
    import httpx2
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils import _http

    hub = urlparse(endpoint)

    class FailFastTransport(httpx2.BaseTransport):
        def __init__(self, inner):
            self.inner = inner

        def handle_request(self, request):
            try:
                return self.inner.handle_request(request)
            except httpx2.ConnectError:
                if (request.url.host, request.url.port) != (hub.hostname, hub.port):
                    raise
                raise CourseHubGoneError(
                    f"The course hub at {endpoint} stopped answering (stopped, killed, or the machine slept). Bring "
                    "it back: re-run the setup cell (it starts a new one), or run `make hub` in a terminal; then run "
                    "this cell again.") from None

        def close(self):
            self.inner.close()

    def client_factory():
        client = _http.default_client_factory()
        client._transport = FailFastTransport(client._transport)  # the one transport the client was built with
        return client

    set_client_factory(client_factory)


@dataclass
class Course:
    mode: str  # "course hub" or "huggingface.co" or "custom endpoint"
    endpoint: str
    hf_home: str
    device: str
    threads: int
    seed: int
    inference_url: str | None = None  # COURSE_INFERENCE_URL, when setup(inference=True) started or found one

    @property
    def offline(self) -> bool:
        return self.mode == "course hub"


def online(url: str = HF_HUB_URL, timeout: float = 3.0) -> bool:
    """Can this machine reach `url` right now? A short check, never a long hang."""
    try:
        urllib.request.urlopen(f"{url}/api/models?limit=1", timeout=timeout).close()
        return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _is_loopback(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", "localhost", "::1")


def build_hub_if_needed(root: Path) -> None:
    """Build the course hub in a subprocess (building imports transformers, which must wait for setup)."""
    from course_offline.hub.builder import up_to_date

    if up_to_date(root):
        return
    print(f"Building the course hub in {root} (stand-ins and catalogue; under a minute) ...", flush=True)
    build = subprocess.run([sys.executable, "-m", "course_offline.hub", "build", "--root", str(root)],
                           capture_output=True, text=True)
    if build.returncode != 0:
        raise CourseSetupError(f"Building the course hub failed:\n{build.stdout[-2000:]}{build.stderr[-2000:]}")


def _start_background_hub(url: str) -> None:
    """Serve the hub from a detached process that outlives this kernel, so every lesson shares it."""
    from course_offline.hub import hub_health

    root = hub_root()
    build_hub_if_needed(root)
    port = urlparse(url).port or 80
    log_path = build_dir() / "course-hub.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "course_offline.hub", "serve", "--root", str(root), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while hub_health(url, timeout=1) is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = log_path.read_text(errors="replace")[-1500:]
            raise CourseSetupError(f"The course hub did not start on {url}. Its log ({log_path}):\n{tail}")
        time.sleep(0.2)
    (build_dir() / "course-hub.pid").write_text(f"{proc.pid}\n")  # `make hub-stop` reads it
    print(f"Course hub started in the background (pid {proc.pid}, log {log_path}); it serves every lesson "
          "until you run `make hub-stop`.")


def _standin_endpoint() -> tuple[str, str, bool]:
    """The tests' stand-in for huggingface.co (course_offline/internet.py): HF_ENDPOINT must be a course hub in its
    huggingface.co view, and every online service variable a loopback address."""
    from course_offline.hub import hub_health
    from course_offline.internet import MODE_VARIABLE, check_service_variables, refuse_off_machine_connections

    try:
        check_service_variables()
    except ValueError as exc:
        raise CourseSetupError(str(exc)) from None
    refuse_off_machine_connections()
    url = os.environ["HF_ENDPOINT"].rstrip("/")
    health = hub_health(url)
    if not health or health.get("view") != "huggingface.co":
        raise CourseSetupError(f"{MODE_VARIABLE}=1, but no course hub in its huggingface.co view answers at "
                               f"HF_ENDPOINT={url}.")
    return url, "huggingface.co", False


def _choose_endpoint(choice: str) -> tuple[str, str, bool]:
    """(endpoint, mode, set_by_us). Order: COURSE_HUB=local/remote, an HF_ENDPOINT already set, a probe."""
    from course_offline.hub import CourseHubError, hub_health, hub_port
    from course_offline.internet import standin_mode

    if standin_mode():
        return _standin_endpoint()
    preset = os.environ.get("HF_ENDPOINT", "").rstrip("/")
    try:
        port = hub_port()
    except CourseHubError as exc:
        raise CourseSetupError(str(exc)) from None
    local_url = os.environ.get("COURSE_HUB_URL") or f"http://127.0.0.1:{port}"
    if choice == "remote" or (choice == "auto" and not preset and online()):
        if not online():
            raise CourseSetupError(
                "COURSE_HUB=remote, but huggingface.co cannot be reached from this machine. "
                "Check the network (or a proxy), or use the local course hub: COURSE_HUB=local.")
        return HF_HUB_URL, "huggingface.co", True
    if choice == "auto" and preset and not _is_loopback(preset):
        if not online(preset):
            raise CourseSetupError(
                f"HF_ENDPOINT={preset} does not answer. Unset HF_ENDPOINT to let setup() choose, "
                "or set COURSE_HUB=local to use the local course hub.")
        return preset, "custom endpoint", False
    url = preset if (choice == "auto" and preset) else local_url
    if hub_health(url) is None:
        if not _is_loopback(url):
            raise CourseSetupError(
                f"No course hub answers at {url}. Start one there with `make hub`, or unset COURSE_HUB_URL.")
        _start_background_hub(url)
    return url, "course hub", not preset


def _apply_endpoint(endpoint: str, hf_home: str) -> None:
    """Set the variables huggingface_hub reads at import, or explain why the kernel must restart."""
    if "huggingface_hub.constants" in sys.modules:  # the endpoint is frozen once this module has loaded
        from huggingface_hub import constants

        if constants.ENDPOINT.rstrip("/") != endpoint or os.path.abspath(constants.HF_HOME) != os.path.abspath(hf_home):
            raise CourseSetupError(
                f"huggingface_hub was imported before setup(), with endpoint {constants.ENDPOINT}; this lesson "
                f"needs {endpoint}. Restart the kernel and run the setup cell first (before any transformers, "
                "datasets or huggingface_hub import).")
    os.environ["HF_ENDPOINT"] = endpoint
    os.environ["HF_HOME"] = hf_home
    Path(hf_home, "hub").mkdir(parents=True, exist_ok=True)  # `transformers serve` scans it (lesson 06)


def _set_threads(threads: int | None, offline: bool) -> int:
    if threads is None:
        threads = course_threads()
    if threads is None and offline:
        threads = 1  # tiny stand-ins run about 10x faster on one thread on small CPUs
    if threads is not None and "torch" not in sys.modules:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _start_inference(offline: bool) -> str | None:
    """Offline, hosted inference (lessons 05 and 06) goes to a course inference server in this kernel; online
    (or with COURSE_INFERENCE_URL set) to the URL the lesson chooses, the Hugging Face router by default."""
    preset = os.environ.get("COURSE_INFERENCE_URL", "").strip()
    if preset or not offline:
        return preset or None
    from course_offline.inference import URL_VARIABLE, start_inference_server

    start_inference_server(verbose=False)  # stops with the kernel; sets COURSE_INFERENCE_URL and OLLAMA_HOST
    return os.environ[URL_VARIABLE]


# Warnings that loading any model prints once torchao and bitsandbytes (lesson 08) are installed, none of which a
# learner can act on: torchao's CUDA-only extensions fail to load on a CPU build of torch, bitsandbytes looks for an
# optional kernels package, and torch deprecates a call torchao makes at import.
_IMPORT_NOISE = ("torchao", "bitsandbytes.backends.cpu.ops", "torch.utils._pytree")


def quiet_import_noise() -> None:
    for name in _IMPORT_NOISE:
        logging.getLogger(name).setLevel(logging.ERROR)


def setup(seed: int = 0, threads: int | None = None, verbose: bool = True, inference: bool = False) -> Course:
    """Prepare this kernel for a lesson; see the module docstring. Returns a `Course` with the choices made.

    inference=True (lessons that call hosted models): offline, start the course inference server for this kernel.
    """
    from course_offline.internet import standin_mode

    standin = standin_mode()  # the tests' stand-in for the internet: its made-up keys, never the .env's real ones
    if not standin:
        tokens.load_dotenv_file()
    from .serving import stop_orphaned_servers

    orphans = stop_orphaned_servers(verbose=False)  # servers of a kernel that was killed before it could stop them
    quiet_import_noise()
    choice = os.environ.get("COURSE_HUB", "auto").strip().lower() or "auto"
    if choice not in MODES:
        raise CourseSetupError(f"COURSE_HUB={choice!r}: use one of {', '.join(MODES)}.")
    endpoint, mode, set_by_us = _choose_endpoint(choice)
    shared_hub = mode == "course hub" and not _is_loopback(endpoint)
    if shared_hub:  # a classroom hub on another machine, over plain HTTP: never send a learner's token there
        os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
    if mode == "course hub":
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        hf_home = str(course_hf_home()) if set_by_us else os.environ.get("HF_HOME", str(course_hf_home()))
    else:
        hf_home = os.environ.get("HF_HOME", str(Path.home() / ".cache" / "huggingface"))
    _apply_endpoint(endpoint, hf_home)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if mode == "course hub":
        _fail_fast_when_the_hub_stops(endpoint)
    if standin:
        from course_offline.internet import route_router_to

        route_router_to(os.environ["COURSE_INFERENCE_URL"])
    n_threads = _set_threads(threads, mode == "course hub")
    seed_everything(seed)
    device = environment.best_device()
    token = tokens.token_status()["HF_TOKEN"]  # before the inference server may make a course-only one
    inference_url = _start_inference(mode == "course hub") if inference else None
    course = Course(mode, endpoint, hf_home, device, n_threads, seed, inference_url)
    if verbose:
        what = {"course hub": "local course hub: real MiniLM, SmolLM2 and Gemma 3; random-weight stand-ins; catalogue",
                "huggingface.co": "the Hugging Face Hub (online)" if not standin else
                "stand-ins of huggingface.co and the APIs on this machine, for the tests: COURSE_STANDIN_INTERNET=1",
                "custom endpoint": "a Hub-compatible endpoint from HF_ENDPOINT"}[mode]
        print("Open Models Course setup")
        print(f"  mode      {mode} ({what}; COURSE_HUB={choice})")
        print(f"  endpoint  {endpoint}")
        print(f"  HF cache  {hf_home}")
        print(f"  device    {environment.device_note(device)}")
        print(f"  threads   {n_threads}, seed {seed}")
        if inference and inference_url and mode == "course hub" and token == "not set":
            token = "not set: a course-only token was made for this kernel (it works nowhere else)"
        print(f"  HF_TOKEN  {token}" + ("; not sent to this shared hub" if shared_hub else ""))
        if inference:
            print(f"  inference {inference_url or 'https://router.huggingface.co (Inference Providers)'}"
                  + (" (course inference server in this kernel: answers the router's routes with the course hub's"
                     " models, and Ollama's API)" if mode == "course hub" and inference_url else ""))
        print(f"  versions  python {sys.version.split()[0]}, {environment.key_versions()}")
        if orphans:
            print(f"  stopped   {len(orphans)} server(s) left running by a kernel that died: {', '.join(orphans)}")
    return course
