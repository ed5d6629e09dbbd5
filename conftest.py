"""pytest set-up for tests/ and the nbval run of notebooks/.

One course hub for the whole run, started before any library or kernel.

HF_ENDPOINT and HF_HOME are set here, in pytest_configure, because huggingface_hub reads them when it
is imported and notebook kernels inherit them when they start. The hub serves a hard-linked copy of
build/hub, so the tests' uploads never touch the learner's hub.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course_offline.hub import CourseHub
from course_utils.paths import build_dir, hub_root

_state: dict = {}


def pytest_configure(config):
    if getattr(config, "workerinput", None) is not None or "hub" in _state:
        return
    # In a subprocess: building imports transformers, and so huggingface_hub, which must not be
    # imported here before HF_ENDPOINT is set. Nothing to do after `make hub-build`.
    subprocess.run([sys.executable, "-m", "course_offline.hub", "build"], check=True, capture_output=True)
    build_dir().mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="test-session-", dir=build_dir()))
    served = tmp / "hub"
    shutil.copytree(hub_root(), served, copy_function=os.link)
    hub = CourseHub(served, port=0).start()
    _state.update(hub=hub, tmp=tmp)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "COURSE_HUB_URL", "COURSE_HUB_PORT"):
        os.environ.pop(name, None)  # tests never use a developer's real token or settings
    os.environ.update(
        COURSE_TEST_HUB=f"{served}|{hub.host}|{hub.port}",  # for pytest-xdist's workers, which inherit it
        HF_ENDPOINT=hub.url,
        HF_HOME=str(tmp / "hf-home"),
        COURSE_HUB="auto",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        TOKENIZERS_PARALLELISM="false",
        COURSE_THREADS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )


def pytest_ignore_collect(collection_path, config):
    """Each lesson is executed once per test run: by nbval when it has cells whose stored outputs are checked
    (marked NBVAL_CHECK_OUTPUT), otherwise by papermill in tests/test_notebooks.py."""
    if collection_path.suffix == ".ipynb":
        from course_offline.runner import has_checked_outputs

        return not has_checked_outputs(collection_path)
    return None


# Seconds a lesson's run took at test settings in the fresh-clone CI run of 2026-12-06 (two workers), the hub-fidelity
# corpus's too: they only order the tests (longest first), so a stale number costs time, never a result.
LONG_TEST_SECONDS = {"06": 200, "09": 135, "10": 121, "07": 120, "08": 116, "03": 110, "fidelity": 89, "05": 77,
                     "04": 76, "11": 58}


def pytest_collection_modifyitems(config, items):
    """The lessons' runs (offline and online) and the hub-fidelity corpus, longest first, then every other test.

    pytest-xdist then starts the test files with the most tests first (its default `loadscope` reorder; turning that
    off exposed order-dependent failures, see 3d387bd); among the one-test scopes, each lesson run, this order holds,
    so lesson 06, the longest, no longer starts last."""
    def seconds(item) -> float | None:
        if item.path.name == "test_hub_fidelity.py":
            return LONG_TEST_SECONDS["fidelity"]
        found = re.search(r"(?:^|\[)(\d\d)_", item.path.name if item.path.suffix == ".ipynb" else item.name)
        runs_a_lesson = item.path.suffix == ".ipynb" or item.path.name in ("test_notebooks.py", "test_online.py")
        return LONG_TEST_SECONDS.get(found.group(1), 30) if found and runs_a_lesson else None

    items.sort(key=lambda item: (0, -seconds(item)) if seconds(item) is not None else (1, 0))


def pytest_xdist_make_scheduler(config, log):
    """`make test` runs on two pytest-xdist workers (`-n 2`). A test file's tests stay on one worker (its module
    fixtures start once: a server, a converted model) and a notebook's cells run in order in one kernel; the lessons
    that tests/test_notebooks.py and tests/test_online.py run with papermill, the longest tests, are spread over the
    workers one by one.
    (xdist's own `--dist loadgroup` cannot do this with pytest 9: it rewrites a private attribute pytest no longer
    reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class FilesTogetherLessonsApart(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            runs_a_lesson = path.endswith("test_notebooks.py") or (path.endswith("test_online.py") and "[" in nodeid)
            return nodeid if runs_a_lesson else path

    return FilesTogetherLessonsApart(config, log)


def pytest_unconfigure(config):
    hub = _state.pop("hub", None)
    if hub is not None:
        hub.stop()
        shutil.rmtree(_state.pop("tmp"), ignore_errors=True)


TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY")


def _saved_token() -> str | None:
    path = Path(os.environ.get("HF_HOME", "")) / "token"  # where `login()` / `hf auth login` keep a token
    return path.read_text() if path.is_file() else None


@pytest.fixture(autouse=True)
def tokens_left_as_found():
    """A test that leaves a token behind (in the environment, or saved by login() in the shared HF_HOME) makes
    later tests on its worker pass or fail by order: fail the test that did it, and put things back."""
    before = {name: os.environ.get(name) for name in TOKEN_VARIABLES}
    saved = _saved_token()
    yield
    changed = [name for name, value in before.items() if os.environ.get(name) != value]
    for name in changed:
        if before[name] is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before[name]
    if _saved_token() != saved:
        changed.append("the token saved in HF_HOME")
        token_file = Path(os.environ.get("HF_HOME", "")) / "token"
        token_file.unlink(missing_ok=True) if saved is None else token_file.write_text(saved)
    assert not changed, f"this test left {', '.join(changed)} changed: use monkeypatch, or its own HF_HOME"


@pytest.fixture(scope="session")
def hub() -> CourseHub:
    """The session's course hub (HF_ENDPOINT points at it). A pytest-xdist worker gets a handle on the one the
    controller started (not started again, never stopped here)."""
    if "hub" not in _state:
        root, host, port = os.environ["COURSE_TEST_HUB"].split("|")
        _state["worker_hub"] = CourseHub(root, host=host, port=int(port))
    return _state.get("hub") or _state["worker_hub"]


@pytest.fixture(scope="session")
def hf_api(hub):
    from huggingface_hub import HfApi

    return HfApi()


@pytest.fixture
def fresh(server):
    """The test module's inference server (its own `server` fixture) with no queued faults, before and after."""
    server.faults.clear()
    yield server
    server.faults.clear()
