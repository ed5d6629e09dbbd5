"""The hub builder: repeatable to the byte, skipped when nothing changed, and learners' repos kept."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_offline.hub import realmodels
from course_offline.hub.builder import BUILD_RECORD, build
from course_offline.hub.mirror import mirror
from course_offline.hub.store import HubStore


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def built_twice(tmp_path_factory):
    first, second = tmp_path_factory.mktemp("a") / "hub", tmp_path_factory.mktemp("b") / "hub"
    build(first, log=lambda *a: None)
    build(second, log=lambda *a: None)
    return first, second


def test_build_is_byte_for_byte_repeatable(built_twice):
    first, second = built_twice
    a, b = _digest(first), _digest(second)
    assert a.keys() == b.keys() and len(a) > 100
    assert [k for k in a if a[k] != b[k]] == []


def test_build_is_skipped_when_nothing_changed_and_keeps_pushed_repos(built_twice):
    root = built_twice[0]
    store = HubStore(root)
    pushed = store.create_repo("model", "course-learner/my-adapter")
    store.commit(pushed, [("add", "adapter_config.json", b"{}")])
    assert build(root, log=lambda *a: None) is False
    record = json.loads((root / BUILD_RECORD).read_text())
    record["fingerprint"] = "stale"
    (root / BUILD_RECORD).write_text(json.dumps(record))
    assert build(root, log=lambda *a: None) is True  # inputs changed: rebuilt
    assert (pushed.files_dir / "adapter_config.json").read_bytes() == b"{}"


def test_real_models_are_converted_once_and_served_as_links(built_twice):
    def no_work(*args):
        raise AssertionError(f"the model cache was filled again: {args}")

    for model in realmodels.REAL_MODELS:
        folder = realmodels.dequantized(model, log=no_work)  # cached: no fetch, no conversion
        gguf = realmodels.gguf_file(model, log=no_work)
        for root in built_twice:
            linked = os.stat(root).st_dev == os.stat(folder).st_dev  # hard links within one file system
            files = HubStore(root).get("model", model.repo_id).files_dir
            gguf_files = HubStore(root).get("model", model.gguf_repo_id).files_dir
            for served, cached in [(files / "model.safetensors", folder / "model.safetensors"),
                                   (gguf_files / model.gguf_name, gguf)]:
                assert os.path.samefile(served, cached) if linked else served.stat().st_size == cached.stat().st_size
        assert realmodels.sha256_file(gguf) == realmodels.gguf_sha256(model)


def test_mirror_copies_a_model_from_an_upstream_hub(hub, tmp_path):
    """The mirror code path, with the session's course hub standing in for huggingface.co."""
    mirror(["distilbert/distilgpt2"], tmp_path, endpoint=hub.url, log=lambda *a: None)
    copied = HubStore(tmp_path).get("model", "distilbert/distilgpt2")
    original = HubStore(hub.root).get("model", "distilbert/distilgpt2")
    assert _digest(copied.files_dir) == _digest(original.files_dir)
    assert copied.meta["mirrored_from"].startswith(f"{hub.url}/distilbert/distilgpt2@")


def test_rebuild_keeps_mirrored_real_models(built_twice, tmp_path):
    root = built_twice[1]
    store = HubStore(root)
    repo = store.get("model", "distilbert/distilgpt2")
    store.commit(repo, [("add", "model.safetensors", b"the real weights")])
    meta = repo.meta
    meta["mirrored_from"] = "https://huggingface.co/distilbert/distilgpt2@abc"
    repo.write_meta(meta)
    assert build(root, force=True, log=lambda *a: None) is True
    assert (repo.files_dir / "model.safetensors").read_bytes() == b"the real weights"


def test_mirror_offline_fails_at_once_with_a_clear_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "course_offline.hub", "mirror", "openai-community/gpt2", "--root", str(tmp_path),
         "--endpoint", "http://hub.invalid"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Cannot reach http://hub.invalid" in result.stderr and "connected machine" in result.stderr
    assert not any(tmp_path.iterdir())
