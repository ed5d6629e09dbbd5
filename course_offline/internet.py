"""A stand-in for the internet on 127.0.0.1, so the tests can execute the lessons' online path.

Online, a lesson talks to services chosen by environment variables whose defaults are the real ones:
huggingface.co (HF_ENDPOINT), the Inference Providers router (COURSE_INFERENCE_URL), closed-model APIs
(OPENAI_BASE_URL, ANTHROPIC_BASE_URL, GEMINI_BASE_URL) and Ollama (OLLAMA_HOST). `StandInInternet` starts a local
stand-in for each (the course hub in its huggingface.co view, which hides the course's own repos; two course
inference servers, one answering as the router, one as the closed APIs) and gives the variables that point a lesson's
kernel at them, with made-up tokens and COURSE_STANDIN_INTERNET=1. In that mode `setup()`:

- refuses to start unless every one of those variables names a loopback address (`check_service_variables`);
- makes every connection the kernel opens to an address off this machine fail at once, before any packet
  leaves (`refuse_off_machine_connections`), so neither a real token nor a request can reach the internet;
- sends the router's fixed address (huggingface_hub's `provider=` clients post to https://router.huggingface.co)
  to the router stand-in (`route_router_to`).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from urllib.parse import urlparse

MODE_VARIABLE = "COURSE_STANDIN_INTERNET"
SERVICE_VARIABLES = ("HF_ENDPOINT", "COURSE_INFERENCE_URL", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GEMINI_BASE_URL",
                     "OLLAMA_HOST")
KEY_VARIABLES = ("HF_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY")
ROUTER_HOST = "router.huggingface.co"


class OffMachineError(ConnectionRefusedError):
    """A connection to an address off this machine, refused in the stand-in internet mode."""


def standin_mode(env=None) -> bool:
    return (os.environ if env is None else env).get(MODE_VARIABLE, "").strip() == "1"


def is_loopback_host(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address((host or "").strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost would need a DNS lookup: refused without one


def _host_of(value: str) -> str | None:
    value = value.strip()
    return urlparse(value if "://" in value else f"http://{value}").hostname  # OLLAMA_HOST may omit the scheme


def check_service_variables(env=None) -> None:
    """Raise ValueError naming every service variable that is unset or not a loopback address."""
    env = os.environ if env is None else env
    bad = [f"{name}={env.get(name, '')!r}" for name in SERVICE_VARIABLES
           if not is_loopback_host(_host_of(env.get(name, "")))]
    if bad:
        raise ValueError(f"{MODE_VARIABLE}=1 runs the online path against stand-ins on this machine only, but "
                         f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not a loopback address (127.0.0.1, "
                         "localhost, ::1). Start the stand-ins with course_offline.internet.StandInInternet and use "
                         "its environ().")


def refuse_off_machine_connections() -> None:
    """From now on, `socket.connect` to an address that is not loopback raises OffMachineError (before connecting)."""
    if getattr(socket.socket.connect, "course_guard", False):
        return
    inner_connect, inner_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def allowed(sock, address) -> bool:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return True  # a Unix socket stays on this machine
        return is_loopback_host(str(address[0]))

    def connect(sock, address):
        if not allowed(sock, address):
            raise OffMachineError(f"Refused a connection to {address[0]}: {MODE_VARIABLE}=1 allows this machine only.")
        return inner_connect(sock, address)

    def connect_ex(sock, address):
        if not allowed(sock, address):
            raise OffMachineError(f"Refused a connection to {address[0]}: {MODE_VARIABLE}=1 allows this machine only.")
        return inner_connect_ex(sock, address)

    connect.course_guard = connect_ex.course_guard = True
    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex


def route_router_to(router_url: str) -> None:
    """huggingface_hub's requests to https://router.huggingface.co go to `router_url` instead (its `provider=`
    clients have that address built in); any other request is left as it is."""
    import httpx2
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils import _http

    target = urlparse(router_url)

    class RouterTransport(httpx2.BaseTransport):
        def __init__(self, inner):
            self.inner = inner

        def handle_request(self, request):
            if request.url.host == ROUTER_HOST:
                request.url = request.url.copy_with(scheme=target.scheme, host=target.hostname, port=target.port)
                request.headers["host"] = target.netloc
            return self.inner.handle_request(request)

        def close(self):
            self.inner.close()

    def client_factory():
        client = _http.default_client_factory()
        client._transport = RouterTransport(client._transport)
        return client

    set_client_factory(client_factory)


class StandInInternet:
    """The stand-ins, started in this process on free loopback ports; `environ()` points a kernel at them.

        with StandInInternet(hub_root) as internet:
            run_the_lesson(env=internet.environ())
    """

    def __init__(self, hub_root):
        from .hub import CourseHub
        from .inference import InferenceServer
        from .inference.models import ClosedModelRegistry

        # made up, shaped like the real ones where a client checks the shape (huggingface_hub wants "hf_")
        self.keys = {name: ("hf_" if name == "HF_TOKEN" else "sk-") + "standin" + secrets.token_hex(12)
                     for name in KEY_VARIABLES}
        self.hub = CourseHub(hub_root, port=0, view="huggingface.co")
        self.router = InferenceServer(tokens={self.keys["HF_TOKEN"]}, port=0, ollama=True)
        self.closed_apis = InferenceServer(tokens={self.keys[k] for k in KEY_VARIABLES[1:]}, port=0, ollama=False,
                                           registry=ClosedModelRegistry())

    def start(self) -> StandInInternet:
        for service in (self.hub, self.router, self.closed_apis):
            service.start()
        return self

    def stop(self) -> None:
        for service in (self.closed_apis, self.router, self.hub):
            service.stop()

    def __enter__(self) -> StandInInternet:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def environ(self) -> dict[str, str]:
        closed = f"{self.closed_apis.url}/v1/"
        return {MODE_VARIABLE: "1", "COURSE_HUB": "auto", "HF_ENDPOINT": self.hub.url,
                "COURSE_INFERENCE_URL": self.router.url, "OLLAMA_HOST": self.router.url,
                "OPENAI_BASE_URL": closed, "ANTHROPIC_BASE_URL": closed, "GEMINI_BASE_URL": closed, **self.keys}
