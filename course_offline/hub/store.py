"""The course hub's storage: a folder of model and dataset repos, read and written safely.

Layout under the root:
    models/<org>--<name>/files/...      the repo's files (one revision, "main")
    models/<org>--<name>/meta.json      what the Hub keeps beside the files (downloads, gated, ...)
    datasets/<org>--<name>/...          the same for dataset repos

The commit sha is derived from the files (path + git blob sha1), so a rebuilt hub has the same shas.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

REPO_TYPES = ("model", "dataset")
# Written by the builder at the hub root: {"model": {repo_id: why it is known}, "dataset": {...}} for repos of
# huggingface.co that the course hub knows of but cannot serve (their errors say what to do).
NOT_IN_HUB_FILE = "not-in-hub.json"
MIRROR_COMMAND = "python -m course_offline.hub mirror"
_SHORT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
# Hub rules: letters, digits, "-", "_", "."; no "--" or ".." ; at most 96 characters per part.
_NAME_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
_PATH_PART = re.compile(r"^[A-Za-z0-9 ._@+=()\[\],-]+$")


class HubError(Exception):
    """An error the server turns into an HTTP answer with the Hub's error code."""

    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def validate_repo_id(repo_id: str) -> str:
    parts = repo_id.split("/")
    if not 1 <= len(parts) <= 2 or not all(_NAME_PART.match(p) for p in parts):
        raise HubError(400, f"Invalid repo id {repo_id!r}: use 'name' or 'org/name' (letters, digits, '-', '_', '.')")
    if any("--" in p or ".." in p or p.endswith(".") for p in parts):
        raise HubError(400, f"Invalid repo id {repo_id!r}: '--' and '..' are not allowed")
    return repo_id


def validate_path(path: str) -> str:
    """A file path inside a repo: relative, no '..', no odd characters. Refused with 400 otherwise."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        raise HubError(400, f"Invalid file path {path!r}")
    parts = path.split("/")
    if any(p in ("", ".", "..") or not _PATH_PART.match(p) for p in parts):
        raise HubError(400, f"Invalid file path {path!r}")
    return path


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def git_blob_sha1_file(path: Path) -> str:
    """git_blob_sha1 of a file's bytes, read in blocks (the real models' weights are hundreds of MB)."""
    size = path.stat().st_size
    digest = hashlib.sha1(b"blob %d\0" % size)
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def read_card_metadata(text: str) -> dict:
    """The YAML front matter of a README.md (the Hub's cardData)."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, re.DOTALL)
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def safetensors_parameters(path: Path) -> dict[str, int]:
    """Parameter count per dtype, read from a safetensors header (no tensors are loaded)."""
    with open(path, "rb") as f:
        (header_len,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(header_len))
    counts: dict[str, int] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        n = 1
        for dim in info["shape"]:
            n *= dim
        counts[info["dtype"]] = counts.get(info["dtype"], 0) + n
    return counts


@dataclass
class FileEntry:
    path: str
    size: int
    oid: str  # git blob sha1


class Repo:
    def __init__(self, store: HubStore, repo_type: str, repo_id: str, folder: Path):
        self.store = store
        self.type = repo_type
        self.id = repo_id
        self.folder = folder
        self.files_dir = folder / "files"

    @property
    def meta(self) -> dict:
        return json.loads((self.folder / "meta.json").read_text())

    def write_meta(self, meta: dict) -> None:
        _atomic_write(self.folder / "meta.json", json.dumps(meta, indent=2, sort_keys=True).encode())

    def files(self) -> list[FileEntry]:
        entries = []
        if self.files_dir.exists():
            for p in sorted(self.files_dir.rglob("*")):
                if p.is_file():
                    rel = p.relative_to(self.files_dir).as_posix()
                    entries.append(FileEntry(rel, p.stat().st_size, self.store.blob_sha1(p)))
        return entries

    def sha(self) -> str:
        listing = "\n".join(f"{e.path} {e.oid}" for e in self.files())
        return hashlib.sha1(f"{self.type}:{self.id}\n{listing}".encode()).hexdigest()

    def file_path(self, path: str) -> Path:
        validate_path(path)
        full = (self.files_dir / path).resolve()
        if not full.is_relative_to(self.files_dir.resolve()):
            raise HubError(400, f"Invalid file path {path!r}")
        return full

    def check_revision(self, revision: str) -> str:
        """The commit a revision names: 'main', the commit or a prefix of it (7+ hex, as on the Hub), or a revision
        that teaching material pins (transformers' pipeline defaults), which this one-revision hub serves as its
        commit."""
        sha = self.sha()
        pinned = self.meta.get("revisions") or []
        if revision == "main" or revision in pinned or (_SHORT_SHA.match(revision) and sha.startswith(revision)):
            return sha
        also = f", or the pinned {', '.join(pinned)}" if pinned else ""
        raise HubError(
            404, f"Revision {revision!r} not found in {self.id} (the course hub keeps one revision, 'main' = "
                 f"{sha[:7]}{also})", "RevisionNotFound",
        )

    def card_text(self) -> str:
        readme = self.files_dir / "README.md"
        return readme.read_text(encoding="utf-8") if readme.exists() else ""


class HubStore:
    """The repos under `root`. hidden_namespaces: served as if absent (404, not listed): the course hub's
    huggingface.co view hides the course's own namespace, which exists only here (tests of the online path)."""

    def __init__(self, root: Path | str, hidden_namespaces: tuple[str, ...] = ()):
        self.root = Path(root)
        self.hidden_namespaces = tuple(hidden_namespaces)
        self._lock = threading.RLock()
        self._sha_cache: dict[tuple[int, int, int, int], str] = {}

    # -- lookup -----------------------------------------------------------------------------------
    def _folder(self, repo_type: str, repo_id: str) -> Path:
        if repo_type not in REPO_TYPES:
            raise HubError(400, f"Unknown repo type {repo_type!r}")
        validate_repo_id(repo_id)
        return self.root / f"{repo_type}s" / repo_id.replace("/", "--")

    def not_here(self, repo_type: str, repo_id: str) -> str | None:
        """Why the course hub knows of a repo it does not serve (a pipeline default, a repo teaching material uses)."""
        path = self.root / NOT_IN_HUB_FILE
        if not path.exists():
            return None
        return json.loads(path.read_text()).get(repo_type, {}).get(repo_id)

    def missing_message(self, repo_type: str, repo_id: str) -> str:
        kind = "dataset" if repo_type == "dataset" else "model"
        mirror = f"{MIRROR_COMMAND} {'datasets/' if repo_type == 'dataset' else ''}{repo_id}"
        known = self.not_here(repo_type, repo_id)
        if known:
            return (f"The {kind} {repo_id} ({known}) is not in this course hub; mirror it online with `{mirror}` on a "
                    "connected machine, or run this code online.")
        return (f"The {kind} {repo_id!r} is not in this course hub; if it exists on huggingface.co, mirror it online "
                f"with `{mirror}` on a connected machine (check the spelling: `HfApi().list_{kind}s(search=...)` "
                "lists what is here).")

    def alias_target(self, repo_type: str, repo_id: str) -> str | None:
        """The canonical id a legacy id redirects to ('gpt2' -> 'openai-community/gpt2'), or None."""
        meta_file = self._folder(repo_type, repo_id) / "meta.json"
        if not meta_file.exists():
            return None
        return json.loads(meta_file.read_text()).get("alias_of")

    def hidden(self, repo_id: str) -> bool:
        return "/" in repo_id and repo_id.split("/", 1)[0] in self.hidden_namespaces

    def get(self, repo_type: str, repo_id: str) -> Repo:
        """The repo, following an alias (like 'gpt2' for 'openai-community/gpt2'). 404 RepoNotFound if absent."""
        folder = self._folder(repo_type, repo_id)
        if self.hidden(repo_id):
            raise HubError(404, f"Repository Not Found: {repo_id} is not on huggingface.co (this hub serves "
                                "huggingface.co's view: the course's own repos are hidden).", "RepoNotFound")
        if not (folder / "meta.json").exists():
            raise HubError(404, self.missing_message(repo_type, repo_id), "RepoNotFound")
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("alias_of"):
            return self.get(repo_type, meta["alias_of"])
        return Repo(self, repo_type, repo_id, folder)

    def exists(self, repo_type: str, repo_id: str) -> bool:
        return not self.hidden(repo_id) and (self._folder(repo_type, repo_id) / "meta.json").exists()

    def repos(self, repo_type: str) -> list[Repo]:
        base = self.root / f"{repo_type}s"
        if not base.exists():
            return []
        found = []
        for folder in sorted(base.iterdir()):
            meta_file = folder / "meta.json"
            repo_id = folder.name.replace("--", "/")
            if self.hidden(repo_id) or not meta_file.exists():
                continue
            if not json.loads(meta_file.read_text()).get("alias_of"):
                found.append(Repo(self, repo_type, repo_id, folder))
        return found

    def blob_sha1(self, path: Path) -> str:
        st = path.stat()
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)  # hard links to one file share the entry
        sha = self._sha_cache.get(key)
        if sha is None:
            sha = git_blob_sha1_file(path)
            self._sha_cache[key] = sha
        return sha

    # -- writes -----------------------------------------------------------------------------------
    def create_repo(self, repo_type: str, repo_id: str, meta: dict | None = None, exist_ok: bool = False) -> Repo:
        with self._lock:
            folder = self._folder(repo_type, repo_id)
            if (folder / "meta.json").exists():
                if exist_ok:
                    return self.get(repo_type, repo_id)
                raise HubError(409, f"You already created this {repo_type} repo: {repo_id}", "RepoExists")
            (folder / "files").mkdir(parents=True, exist_ok=True)
            now = _now()
            base = {"created_at": now, "last_modified": now, "downloads": 0, "likes": 0, "gated": False}
            base.update(meta or {})
            repo = Repo(self, repo_type, repo_id, folder)
            repo.write_meta(base)
            return repo

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        with self._lock:
            folder = self._folder(repo_type, repo_id)
            if not (folder / "meta.json").exists():
                raise HubError(404, f"Repository {repo_id!r} not found", "RepoNotFound")
            shutil.rmtree(folder)

    def commit(self, repo: Repo, operations: list[tuple]) -> str:
        """Apply validated operations: ("add", path, bytes), ("delete", path), ("delete_folder", path)."""
        with self._lock:
            targets = [(op, repo.file_path(op[1])) for op in operations]  # validates every path first
            staged = []  # every new file is written in full beside its target before any target changes
            try:
                for op, target in targets:
                    if op[0] == "add":
                        if target.is_dir():
                            raise HubError(400, f"{op[1]!r} is a folder in this repo; a file cannot replace it")
                        staged.append((_write_temporary(target, op[2]), target))
            except BaseException:
                for tmp, _ in staged:
                    tmp.unlink(missing_ok=True)
                raise
            for tmp, target in staged:
                os.replace(tmp, target)  # renames: a commit cut off here leaves whole files, old or new
            for op, target in targets:
                if op[0] == "delete":
                    if target.is_file():
                        target.unlink()
                elif op[0] == "delete_folder" and target.is_dir():
                    shutil.rmtree(target)
            meta = repo.meta
            meta["last_modified"] = _now()
            repo.write_meta(meta)
            return repo.sha()


def _write_temporary(path: Path, data: bytes) -> Path:
    """`data` in a new hidden file beside `path` (same folder, so replacing `path` with it is one rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _atomic_write(path: Path, data: bytes) -> None:
    os.replace(_write_temporary(path, data), path)
