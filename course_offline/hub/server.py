"""The course hub's HTTP server: the subset of the Hugging Face Hub API that the stock clients use.

`huggingface_hub`, `transformers`, `datasets`, `sentence-transformers` and `peft` talk to it unchanged
when `HF_ENDPOINT` points at it. Protocol facts: shared/notes/hub-protocol.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from urllib.parse import parse_qs, unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .store import HubError, HubStore, Repo, read_card_metadata, safetensors_parameters, validate_path

HEALTH_PATH = "/api/course-hub"
USER = "course-learner"
# What `login()` gets from the course hub's device-code flow: a token that only the course hub accepts. It is not
# shaped like a real Hugging Face token (those are "hf_" and 34 letters and digits), so nobody mistakes it for one.
COURSE_TOKEN_PREFIX = "hf_course_login_"
COURSE_TOKEN_NAME = "course-hub"
_REPO_KEYWORDS = {"revision", "tree", "paths-info", "refs", "commits", "preupload", "commit", "resolve"}
_SIZE_SUFFIX = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}


def _split_repo(segments: list[str]) -> tuple[str, list[str]]:
    """('org/name', rest) or ('name', rest): a repo id has one or two parts, then a keyword or nothing."""
    if len(segments) >= 2 and segments[1] not in _REPO_KEYWORDS and (
        len(segments) == 2 or segments[2] in _REPO_KEYWORDS
    ):
        return f"{segments[0]}/{segments[1]}", segments[2:]
    if segments:
        return segments[0], segments[1:]
    raise HubError(400, "Missing repo id")


def _error(exc: HubError) -> Response:
    headers = {"X-Error-Message": exc.message.replace("\n", " ")}
    if exc.code:
        headers["X-Error-Code"] = exc.code
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers=headers)


def _parse_count(text: str) -> int:
    text = text.strip().upper()
    if text and text[-1] in _SIZE_SUFFIX:
        return int(float(text[:-1]) * _SIZE_SUFFIX[text[-1]])
    return int(float(text))


# -- repo info ------------------------------------------------------------------------------------
def _config_summary(repo: Repo) -> dict | None:
    config_file = repo.files_dir / "config.json"
    if not config_file.exists():
        return None
    config = json.loads(config_file.read_text())
    keep = ("architectures", "model_type", "tokenizer_config")
    return {k: config[k] for k in keep if k in config}


def _safetensors(repo: Repo, meta: dict) -> dict | None:
    if meta.get("safetensors"):
        return meta["safetensors"]
    counts: dict[str, int] = {}
    for f in sorted(repo.files_dir.rglob("*.safetensors")):
        for dtype, n in safetensors_parameters(f).items():
            counts[dtype] = counts.get(dtype, 0) + n
    return {"parameters": counts, "total": sum(counts.values())} if counts else None


def _tags(repo: Repo, card: dict, meta: dict, config: dict | None) -> list[str]:
    tags: list[str] = []
    if repo.type == "model":
        tags += [card.get("library_name")] if card.get("library_name") else []
        if any(p.suffix == ".safetensors" for p in repo.files_dir.rglob("*")) or meta.get("safetensors"):
            tags.append("safetensors")
        if config and config.get("model_type"):
            tags.append(config["model_type"])
        tags += [card["pipeline_tag"]] if card.get("pipeline_tag") else []
    else:
        tags += [f"task_categories:{t}" for t in card.get("task_categories") or []]
    tags += list(card.get("tags") or []) + list(meta.get("tags") or [])
    languages = card.get("language") or []
    tags += [languages] if isinstance(languages, str) else list(languages)
    if card.get("license"):
        tags.append(f"license:{card['license']}")
    return list(dict.fromkeys(str(t) for t in tags))


def repo_info(repo: Repo, fields: set[str] | None = None) -> dict:
    """ModelInfo / DatasetInfo JSON. `fields=None` means everything (as model_info returns)."""
    meta = repo.meta
    card = read_card_metadata(repo.card_text())
    config = _config_summary(repo) if repo.type == "model" else None
    files = repo.files()
    info = {
        "id": repo.id,
        "_id": repo.sha()[:24],
        "author": repo.id.split("/")[0] if "/" in repo.id else None,
        "sha": repo.sha(),
        "lastModified": meta["last_modified"],
        "createdAt": meta["created_at"],
        "private": False,
        "gated": meta.get("gated", False),
        "disabled": False,
        "downloads": meta.get("downloads", 0),
        "likes": meta.get("likes", 0),
        "tags": _tags(repo, card, meta, config),
        "cardData": card,
        "siblings": [{"rfilename": e.path, "size": e.size, "blobId": e.oid} for e in files],
        "usedStorage": sum(e.size for e in files),
    }
    if repo.type == "model":
        info["library_name"] = card.get("library_name")
        info["pipeline_tag"] = card.get("pipeline_tag")
        info["config"] = config
        info["safetensors"] = _safetensors(repo, meta)
        if meta.get("gguf"):
            info["gguf"] = meta["gguf"]
        # Providers serve chat models under the task "conversational", as on the Hub.
        task = "conversational" if "conversational" in info["tags"] else card.get("pipeline_tag") or ""
        info["inferenceProviderMapping"] = {
            p: {"status": "live", "providerId": repo.id, "task": task} for p in meta.get("inference_providers", [])
        }
    else:
        info["description"] = card.get("pretty_name", "")
    if fields is not None:
        info = {k: v for k, v in info.items() if k in fields or k in ("id", "_id")}
    return info


_LIST_DEFAULT = {"author", "gated", "downloads", "likes", "tags", "pipeline_tag", "library_name", "createdAt",
                 "private"}


def list_repos(store: HubStore, repo_type: str, request: Request) -> list[dict]:
    q = request.query_params
    repos = store.repos(repo_type)
    infos = [repo_info(r) for r in repos]
    search = (q.get("search") or "").lower()
    if search:
        infos = [i for i in infos if search in i["id"].lower()]
    if q.get("author"):
        infos = [i for i in infos if i["author"] == q["author"]]
    for tag in q.getlist("filter"):
        infos = [i for i in infos if tag in i["tags"] or tag == i.get("library_name") or tag == i["id"]]
    if q.get("pipeline_tag"):
        infos = [i for i in infos if i.get("pipeline_tag") == q["pipeline_tag"]]
    if q.get("gated") is not None:
        want = q["gated"].lower() == "true"
        infos = [i for i in infos if bool(i["gated"]) == want]
    providers = q.getlist("inference_provider")
    if providers:
        infos = [
            i for i in infos
            if i.get("inferenceProviderMapping")
            and ("all" in providers or set(providers) & set(i["inferenceProviderMapping"]))
        ]
    if q.get("num_parameters"):
        bounds = dict(part.split(":", 1) for part in q["num_parameters"].split(","))
        low = _parse_count(bounds.get("min", "0"))
        high = _parse_count(bounds["max"]) if "max" in bounds else float("inf")
        infos = [i for i in infos if i.get("safetensors") and low <= i["safetensors"]["total"] <= high]
    sort = q.get("sort")
    sort_key = {"downloads": "downloads", "likes": "likes", "lastModified": "lastModified",
                "createdAt": "createdAt", "trendingScore": "downloads"}.get(sort or "", None)
    if sort and sort_key is None:
        raise HubError(400, f"Unknown sort {sort!r}: use downloads, likes, lastModified, createdAt or trendingScore")
    if sort_key:  # descending, as on the Hub; direction=1 (older clients) asks for ascending
        infos.sort(key=lambda i: (i[sort_key] or 0, i["id"]), reverse=q.get("direction") != "1")
    if q.get("limit"):
        infos = infos[: int(q["limit"])]
    # The Hub's list answer is short unless asked for more (full, cardData, config, expand[]).
    fields = set(_LIST_DEFAULT)
    if q.get("full") in ("True", "true", "1"):
        fields |= {"siblings", "sha", "lastModified", "cardData"}
    if q.get("cardData") in ("True", "true", "1"):
        fields.add("cardData")
    if q.get("config") in ("True", "true", "1"):
        fields.add("config")
    expand = q.getlist("expand") or q.getlist("expand[]")
    if expand:
        fields = set(expand)
    return [{k: v for k, v in i.items() if k in fields or k in ("id", "_id")} for i in infos]


# -- files ----------------------------------------------------------------------------------------
def _redirect_renamed(store: HubStore, repo_type: str, repo_id: str, request: Request, prefix: str) -> Response | None:
    """A 307 to the canonical id, as the Hub answers a renamed repo's legacy id ('bert-base-cased' ->
    'google-bert/bert-base-cased'); the stock clients follow it, for API calls and downloads alike."""
    target = store.alias_target(repo_type, repo_id)
    if not target:
        return None
    raw = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?")[0]
    head = prefix + repo_id
    location = prefix + target + raw[len(head):] if raw.startswith(head) else raw
    if request.url.query:
        location += "?" + request.url.query
    return RedirectResponse(location, status_code=307)


def _resolve(store: HubStore, repo_type: str, segments: list[str], request: Request) -> Response:
    repo_id, rest = _split_repo(segments)
    if len(rest) < 3 or rest[0] != "resolve":
        raise HubError(404, "Not found")
    redirect = _redirect_renamed(store, repo_type, repo_id, request, "/datasets/" if repo_type == "dataset" else "/")
    if redirect:
        return redirect
    if not store.exists(repo_type, repo_id) and store.not_here(repo_type, repo_id):
        # 401 without an error code (as for catalogue-only repos): transformers then passes the sentence on.
        raise HubError(401, store.missing_message(repo_type, repo_id))
    repo = store.get(repo_type, repo_id)
    revision, path = unquote(rest[1]), "/".join(rest[2:])
    sha = repo.check_revision(revision)
    meta = repo.meta
    if path != "README.md" and path != ".gitattributes":
        has_token = bool(request.headers.get("authorization"))
        if meta.get("gated") and meta.get("catalogue_only"):
            raise HubError(
                403 if has_token else 401,
                f"Access to model {repo.id} is restricted. In the course hub this gated repo holds metadata only: "
                "no token opens it. "
                f"On huggingface.co: accept the licence on https://huggingface.co/{repo.id}, then log in with a "
                "token that has read access (HF_TOKEN in .env).",
                "GatedRepo",
            )
        if meta.get("gated") and not has_token:
            # As on huggingface.co: 401 + GatedRepo without a token (huggingface_hub raises GatedRepoError).
            raise HubError(
                401,
                f"Access to model {repo.id} is restricted. You must have access to it and be authenticated to "
                f"access it. Please log in. On huggingface.co: accept the licence on https://huggingface.co/{repo.id} "
                "and use a token with read access (HF_TOKEN in .env). In the course hub any token counts as having "
                "accepted the licence.",
                "GatedRepo",
            )
        if meta.get("catalogue_only"):
            # 401 without an error code: transformers then passes this message on instead of a generic one.
            raise HubError(
                401,
                f"{repo.id} is catalogue-only in the course hub: its card and metadata are here, its weights are not. "
                "Run it online, or mirror it with `python -m course_offline.hub mirror MODEL_ID` on a connected "
                "machine.",
            )
    target = repo.file_path(path)
    if not target.is_file():
        raise HubError(404, f"Entry {path!r} not found in {repo.id}", "EntryNotFound")
    oid = store.blob_sha1(target)
    headers = {"X-Repo-Commit": sha, "ETag": f'"{oid}"', "Accept-Ranges": "bytes"}
    return FileResponse(target, headers=headers, media_type="application/octet-stream")


def _tree(repo: Repo, prefix: str, recursive: bool) -> list[dict]:
    if prefix:
        validate_path(prefix.rstrip("/"))
    prefix = prefix.strip("/")
    entries, folders = [], set()
    for e in repo.files():
        if prefix and not e.path.startswith(prefix + "/"):
            continue
        rel = e.path[len(prefix) + 1:] if prefix else e.path
        parts = rel.split("/")
        if len(parts) > 1:
            for depth in range(1, len(parts) if recursive else 2):
                folder = "/".join(([prefix] if prefix else []) + parts[:depth])
                folders.add(folder)
            if not recursive:
                continue
        entries.append({"type": "file", "oid": e.oid, "size": e.size, "path": e.path})
    if prefix and not entries and not folders:
        raise HubError(404, f"Entry {prefix!r} not found in {repo.id}", "EntryNotFound")
    dirs = [{"type": "directory", "oid": "0" * 40, "size": 0, "path": f} for f in sorted(folders)]
    return dirs + entries


def _paths_info(repo: Repo, paths: list[str]) -> list[dict]:
    out = []
    listing = {e.path: e for e in repo.files()}
    for path in paths:
        path = path.strip("/")
        if path in listing:
            e = listing[path]
            out.append({"type": "file", "oid": e.oid, "size": e.size, "path": e.path})
        elif any(p.startswith(path + "/") for p in listing):
            out.append({"type": "directory", "oid": "0" * 40, "size": 0, "path": path})
    return out


def _parse_commit(body: bytes) -> tuple[str, list[tuple]]:
    """Parse the NDJSON commit payload completely before anything is written."""
    summary, ops = None, []
    try:
        lines = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HubError(400, f"Malformed commit payload: {exc}") from None
    for line in lines:
        if not isinstance(line, dict) or "key" not in line or not isinstance(line.get("value"), dict):
            raise HubError(400, "Malformed commit payload: each line needs 'key' and 'value'")
        key, value = line["key"], line["value"]
        if key == "header":
            summary = value.get("summary", "")
        elif key == "file":
            if value.get("encoding") != "base64" or not isinstance(value.get("content"), str):
                raise HubError(400, "Malformed commit payload: files must be sent base64-encoded")
            try:
                content = base64.b64decode(value["content"], validate=True)
            except (binascii.Error, ValueError):
                raise HubError(400, f"Malformed commit payload: bad base64 for {value.get('path')!r}") from None
            ops.append(("add", str(value.get("path")), content))
        elif key == "deletedFile":
            ops.append(("delete", str(value.get("path"))))
        elif key == "deletedFolder":
            ops.append(("delete_folder", str(value.get("path")).rstrip("/")))
        elif key == "lfsFile":
            raise HubError(400, "The course hub takes regular uploads only (no LFS)")
        else:
            raise HubError(400, f"Malformed commit payload: unknown key {key!r}")
    if summary is None:
        raise HubError(400, "Malformed commit payload: no header line")
    return summary, ops


# -- the application ------------------------------------------------------------------------------
# What exists only in the course hub, never on huggingface.co: hidden in the huggingface.co view.
COURSE_NAMESPACES = ("open-models-course",)
VIEWS = ("course hub", "huggingface.co")


def create_app(root, view: str = "course hub") -> Starlette:
    """view="huggingface.co": serve only what huggingface.co has (the course's own namespace hidden), so the
    lessons' online path can be executed against it (course_offline/internet.py)."""
    if view not in VIEWS:
        raise ValueError(f"view={view!r}: one of {VIEWS}")
    store = HubStore(root, hidden_namespaces=COURSE_NAMESPACES if view == "huggingface.co" else ())

    async def handle(request: Request) -> Response:
        try:
            body = await request.body()  # always read the body in full: keep-alive connections depend on it
        except ClientDisconnect:  # the client went away mid-upload (killed, cut off): nothing was written
            return Response(status_code=400)
        # Split the raw path before decoding, so an encoded "/" or ".." stays inside one segment and
        # an empty segment ("//") survives to be refused by validate_path.
        raw = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?")[0]
        segments = [unquote(s) for s in raw[1:].split("/")] if raw not in ("", "/") else []
        try:  # in a worker thread: hashing and file writes must not block other clients
            return await run_in_threadpool(_dispatch, store, request, segments, body)
        except HubError as exc:
            return _error(exc)

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "HEAD", "POST", "PUT", "DELETE"])])


def _api_type(segment: str) -> str:
    if segment in ("models", "datasets"):
        return segment[:-1]
    raise HubError(404, f"Not found: /api/{segment}")


def _json_body(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except json.JSONDecodeError:
        raise HubError(400, "Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HubError(400, "Request body must be a JSON object")
    return data


def _dispatch(store: HubStore, request: Request, seg: list[str], body: bytes) -> Response:
    method = request.method
    endpoint = str(request.base_url).rstrip("/")
    if not seg:
        return JSONResponse({"course_hub": True, "message": "Open Models Course hub"})
    if seg[0] == "oauth" and method == "POST":
        return _oauth(seg[1:], body)
    if seg[0] != "api":
        # File downloads: /{repo}/resolve/... and /datasets/{repo}/resolve/...
        if method not in ("GET", "HEAD"):
            raise HubError(405, "Method not allowed")
        if seg[0] == "datasets":
            return _resolve(store, "dataset", seg[1:], request)
        return _resolve(store, "model", seg, request)

    api = seg[1:]
    if api == ["course-hub"]:
        return JSONResponse({"course_hub": True, "root": str(store.root), "view": VIEWS[bool(store.hidden_namespaces)]})
    if api == ["whoami-v2"]:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        access = {"role": "write"}
        if token.startswith(COURSE_TOKEN_PREFIX):  # stored under this name by login(), beside any real token
            access["displayName"] = COURSE_TOKEN_NAME
        return JSONResponse({"type": "user", "name": USER, "fullname": "Course Learner", "orgs": [],
                             "auth": {"type": "access_token", "accessToken": access}})
    if api == ["validate-yaml"]:
        return JSONResponse({"errors": [], "warnings": []})
    if api == ["repos", "create"] and method == "POST":
        data = _json_body(body)
        name = data.get("name")
        if not isinstance(name, str):
            raise HubError(400, "create needs a 'name'")
        repo_id = _namespaced(data.get("organization"), name)
        repo_type = data.get("type") or "model"
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{endpoint}/{prefix}{repo_id}"
        if store.exists(repo_type, repo_id):  # the client reads the url from the 409 answer too
            message = f"You already created this {repo_type} repo: {repo_id}"
            return JSONResponse({"error": message, "url": url}, status_code=409, headers={"X-Error-Message": message})
        store.create_repo(repo_type, repo_id)
        return JSONResponse({"url": url, "name": repo_id})
    if api == ["repos", "delete"] and method == "DELETE":
        data = _json_body(body)
        repo_id = _namespaced(data.get("organization"), data.get("name") or "")
        store.delete_repo(data.get("type") or "model", repo_id)
        return JSONResponse({})
    if len(api) == 1 and method == "GET":
        return JSONResponse(list_repos(store, _api_type(api[0]), request))
    if len(api) < 2:
        raise HubError(404, f"Not found: {request.url.path}")

    repo_type = _api_type(api[0])
    repo_id, rest = _split_repo(api[1:])
    redirect = _redirect_renamed(store, repo_type, repo_id, request, f"/api/{api[0]}/")
    if redirect:
        return redirect
    repo = store.get(repo_type, repo_id)
    if not rest or rest[0] == "revision":
        if rest:
            repo.check_revision(rest[1] if len(rest) > 1 else "")
        return JSONResponse(repo_info(repo))
    action = rest[0]
    if action == "tree":
        repo.check_revision(rest[1] if len(rest) > 1 else "main")
        recursive = request.query_params.get("recursive", "false").lower() in ("true", "1")
        return JSONResponse(_tree(repo, "/".join(rest[2:]), recursive))
    if action == "paths-info":
        repo.check_revision(rest[1] if len(rest) > 1 else "main")
        form = _paths_from_request(request, body)
        return JSONResponse(_paths_info(repo, form))
    if action == "refs":
        return JSONResponse({"branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": repo.sha()}],
                             "converts": [], "tags": []})
    if action == "commits":
        return JSONResponse([{"id": repo.sha(), "title": "Course hub snapshot", "message": "",
                              "authors": [{"user": USER}], "date": repo.meta["last_modified"]}])
    if action == "preupload" and method == "POST":
        files = _json_body(body).get("files", [])
        current = {e.path: e.oid for e in repo.files()}
        return JSONResponse({"files": [
            {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": current.get(f["path"])}
            for f in files
        ]})
    if action == "commit" and method == "POST":
        revision = rest[1] if len(rest) > 1 else "main"
        repo.check_revision(revision)
        summary, ops = _parse_commit(body)
        sha = store.commit(repo, ops)
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        return JSONResponse({"success": True, "commitOid": sha, "commitMessage": summary,
                             "commitUrl": f"{endpoint}/{prefix}{repo.id}/commit/{sha}"})
    raise HubError(404, f"Not found: {request.url.path}")


def _namespaced(organization: str | None, name: str) -> str:
    """As on the Hub: a repo created without a namespace belongs to the user `whoami` names."""
    if organization:
        return f"{organization}/{name}"
    return name if "/" in name else f"{USER}/{name}"


def _oauth(path: list[str], body: bytes) -> Response:
    """The device-code login (RFC 8628) that `login()` runs without a token: approved at once, no browser.

    The token is made here, for the course hub only; no real token is asked for, read or handed out.
    """
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    if path == ["device"]:
        code = secrets.token_hex(4).upper()
        return JSONResponse({
            "device_code": secrets.token_hex(16), "user_code": f"{code[:4]}-{code[4:]}",
            "verification_uri": "http://course-hub.invalid/approved-offline",
            "verification_uri_complete": "http://course-hub.invalid/approved-offline (the course hub approves at once)",
            "interval": 1, "expires_in": 60,
        })
    if path == ["token"] and (form.get("grant_type", "").endswith("device_code") or form.get("refresh_token")):
        return JSONResponse({"access_token": COURSE_TOKEN_PREFIX + secrets.token_hex(12), "token_type": "bearer"})
    if path == ["token"]:
        return JSONResponse({"error": "unsupported_grant_type",
                             "error_description": "the course hub answers the device-code login only"},
                            status_code=400)
    raise HubError(404, f"Not found: /oauth/{'/'.join(path)}")


def _paths_from_request(request: Request, body: bytes) -> list[str]:
    ctype = request.headers.get("content-type", "")
    if "json" in ctype:
        paths = _json_body(body).get("paths", [])
    else:
        paths = parse_qs(body.decode("utf-8", "replace")).get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    return [p for p in paths if isinstance(p, str)]

