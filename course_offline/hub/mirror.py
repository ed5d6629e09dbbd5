"""Copy real models from huggingface.co into the course hub, for a classroom with no internet."""

from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from .store import HubStore

HF_HUB = "https://huggingface.co"


def check_reachable(endpoint: str, timeout: float = 5.0) -> None:
    try:
        urllib.request.urlopen(f"{endpoint}/api/models?limit=1", timeout=timeout).close()
    except (urllib.error.URLError, OSError) as exc:
        raise ConnectionError(
            f"Cannot reach {endpoint} ({exc}). Mirroring needs a connection to the Hub: run it on a "
            "connected machine, then copy the hub folder (build/hub) to the classroom machine."
        ) from None


def mirror(model_ids: list[str], root: Path, endpoint: str = HF_HUB, token: str | None = None,
           log=print) -> None:
    """Download each model (its safetensors weights, no other weight formats), or dataset (`datasets/ID`), into
    the hub at `root`."""
    from huggingface_hub import HfApi

    check_reachable(endpoint)
    api = HfApi(endpoint=endpoint, token=token)
    store = HubStore(root)
    for name in model_ids:
        # "datasets/ORG/NAME" mirrors a dataset repo (what a stand-in dataset's card tells you to run).
        repo_type, model_id = ("dataset", name.removeprefix("datasets/")) if name.startswith("datasets/") else (
            "model", name)
        info = api.repo_info(model_id, repo_type=repo_type)
        with tempfile.TemporaryDirectory() as tmp:
            api.snapshot_download(model_id, repo_type=repo_type, local_dir=tmp, revision=info.sha,
                                  ignore_patterns=["*.bin", "*.pt", "*.h5", "*.msgpack", "*.onnx", "*.ot"])
            if store.exists(repo_type, model_id):
                store.delete_repo(repo_type, model_id)
            prefix = "datasets/" if repo_type == "dataset" else ""
            meta = {"downloads": info.downloads or 0, "likes": info.likes or 0, "gated": False,
                    "mirrored_from": f"{endpoint}/{prefix}{model_id}@{info.sha}"}
            repo = store.create_repo(repo_type, model_id, meta=meta)
            for path in sorted(Path(tmp).rglob("*")):
                if path.is_file() and ".cache" not in path.relative_to(tmp).parts:
                    target = repo.files_dir / path.relative_to(tmp)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
        log(f"mirrored {model_id} ({info.sha[:8]})")
