"""The online path, executed here: the lessons against stand-ins of huggingface.co and the APIs (course_offline/
internet.py), all on 127.0.0.1, selected by the variables a learner's environment would set.

The course hub's huggingface.co view hides the course's own repos (the reviews dataset is not published), so a lesson
that uses it must still run and say where its data came from. The mode must never reach another machine: setup()
refuses a non-loopback service address, and the kernel refuses any connection off this machine before connecting.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import nbformat
import pytest

from course_offline.hub import CourseHub, hub_health
from course_offline.internet import MODE_VARIABLE, SERVICE_VARIABLES, StandInInternet, check_service_variables
from course_offline.runner import execute_lesson, lessons
from tests.test_notebooks import DATASET_MARKERS, ONLINE_LESSONS, TEST_PARAMETERS, online_path

# Online settings where they differ from the offline tests' (more contestants run online: closed APIs have keys).
ONLINE_PARAMETERS = {"07_comparing_models": {"n_items": 6}}
TEST_NET = "203.0.113.7"  # TEST-NET-3, a documentation address: no connection to it is ever attempted here


def test_lessons_are_sorted_by_what_differs_online():
    kinds = {p.stem: online_path(p) for p in lessons()}
    assert kinds["05_inference_api"] == "branches" and kinds["04_pipelines"] == "dataset"
    assert kinds["00_setup"] is None and kinds["03_running_models_directly"] is None
    assert {p.stem for p in ONLINE_LESSONS} == {name for name, kind in kinds.items() if kind}


def test_the_huggingface_view_hides_the_courses_own_repos(hub):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    with CourseHub(hub.root, port=0, view="huggingface.co") as view:
        assert hub_health(view.url)["view"] == "huggingface.co" and hub_health(hub.url)["view"] == "course hub"
        api = HfApi(endpoint=view.url)
        with pytest.raises(RepositoryNotFoundError):
            api.dataset_info("open-models-course/product-reviews")
        assert not [d.id for d in api.list_datasets(author="open-models-course")]
        assert api.model_info("HuggingFaceTB/SmolLM2-135M-Instruct").id == "HuggingFaceTB/SmolLM2-135M-Instruct"
        assert HfApi(endpoint=hub.url).dataset_info("open-models-course/product-reviews")  # the course hub keeps it


def test_the_service_variables_must_all_be_loopback():
    env = {name: "http://127.0.0.1:1" for name in SERVICE_VARIABLES} | {"OLLAMA_HOST": "localhost:11434"}
    check_service_variables(env)
    with pytest.raises(ValueError, match="OPENAI_BASE_URL='https://api.openai.com/v1'"):
        check_service_variables(env | {"OPENAI_BASE_URL": "https://api.openai.com/v1"})
    with pytest.raises(ValueError, match="HF_ENDPOINT=''"):
        check_service_variables({k: v for k, v in env.items() if k != "HF_ENDPOINT"})


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES} | env)


def test_setup_refuses_a_non_loopback_service_address():
    env = {name: "http://127.0.0.1:1" for name in SERVICE_VARIABLES} | {
        MODE_VARIABLE: "1", "COURSE_INFERENCE_URL": f"http://{TEST_NET}"}
    run = _python("from course_utils import setup; setup()", env)
    assert run.returncode != 0 and "CourseSetupError" in run.stderr, run.stderr[-2000:]
    assert f"COURSE_INFERENCE_URL='http://{TEST_NET}'" in run.stderr and "not a loopback address" in run.stderr


def test_the_kernel_refuses_connections_off_this_machine_before_connecting():
    """The real connect is replaced by a recorder first, so this test itself can never send a packet anywhere."""
    code = f"""
import json, socket, urllib.request
from course_offline import internet
attempted = []
socket.socket.connect = lambda sock, address: attempted.append(address[0])
internet.refuse_off_machine_connections()
refused = []
for host in ("{TEST_NET}", "huggingface.co", "10.0.0.1"):
    try:
        socket.socket().connect((host, 443))
    except internet.OffMachineError:
        refused.append(host)
try:
    urllib.request.urlopen("http://{TEST_NET}/", timeout=1)
except OSError as exc:
    refused.append(type(exc.reason).__name__)
socket.socket().connect(("127.0.0.1", 9))
socket.socket(socket.AF_INET6).connect(("::1", 9))
print(json.dumps({{"attempted": attempted, "refused": refused}}))
"""
    run = _python(code, {})
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen == {"attempted": ["127.0.0.1", "::1"],
                    "refused": [TEST_NET, "huggingface.co", "10.0.0.1", "OffMachineError"]}


@pytest.fixture(scope="module")
def internet(hub):
    with StandInInternet(hub.root) as stand_ins:
        yield stand_ins


@pytest.mark.parametrize("path", ONLINE_LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_online_against_the_stand_ins(path, internet, tmp_path, monkeypatch):
    for variable, value in internet.environ().items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # an online learner's own cache, empty at first
    settings = TEST_PARAMETERS.get(path.stem, {}) | ONLINE_PARAMETERS.get(path.stem, {})
    run = execute_lesson(path, tmp_path, parameters={"seed": 0, **settings})
    assert run.ok, run.error
    text = "\n".join(str(o.get("text", "")) + json.dumps(o.get("data", {}))
                     for c in nbformat.read(run.output, as_version=4).cells for o in c.get("outputs", []))
    assert "mode      huggingface.co" in text and "COURSE_STANDIN_INTERNET=1" in text
    if any(m in json.dumps(nbformat.read(path, as_version=4).cells) for m in DATASET_MARKERS):
        # the course dataset is not on huggingface.co: the lesson says in one line where its reviews came from
        assert re.search(r"^reviews: .*data/reviews in the course folder", text, re.M), "no line says where"
    secrets = [v for k, v in internet.environ().items() if k.endswith(("_TOKEN", "_API_KEY"))]
    assert not [s for s in secrets if s in text], "a token or key appeared in a lesson's output"
