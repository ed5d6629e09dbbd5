"""pytest set-up for tests/ and the nbval run of notebooks/.

One course hub for the whole run, started before any library or kernel.

HF_ENDPOINT and HF_HOME are set here, in pytest_configure, because huggingface_hub reads them when it
is imported and notebook kernels inherit them when they start. The hub serves a hard-linked copy of
build/hub, so the tests' uploads never touch the learner's hub.
"""

from __future__ import annotations

import os
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


def pytest_unconfigure(config):
    hub = _state.pop("hub", None)
    if hub is not None:
        hub.stop()
        shutil.rmtree(_state.pop("tmp"), ignore_errors=True)


@pytest.fixture(scope="session")
def hub() -> CourseHub:
    """The session's course hub (HF_ENDPOINT points at it)."""
    return _state["hub"]


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
