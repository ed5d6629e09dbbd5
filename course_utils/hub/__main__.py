"""python -m course_utils.hub serve | build | mirror MODEL_ID..."""

from __future__ import annotations

import argparse
import os
import sys

from ..paths import hub_root
from . import DEFAULT_HOST, DEFAULT_PORT, CourseHubError, bind_socket


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.hub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the course hub in the foreground")
    serve.add_argument("--root", default=None, help="hub folder (default: build/hub)")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=int(os.environ.get("COURSE_HUB_PORT", DEFAULT_PORT)))
    build = sub.add_parser("build", help="build the course hub (skipped when nothing changed)")
    build.add_argument("--root", default=None)
    build.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    mirror = sub.add_parser("mirror", help="copy real models from huggingface.co into the course hub (online)")
    mirror.add_argument("model_ids", nargs="+")
    mirror.add_argument("--root", default=None)
    mirror.add_argument("--endpoint", default="https://huggingface.co")
    args = parser.parse_args(argv)
    root = args.root or hub_root()

    try:
        if args.command == "build":
            from .builder import build as build_hub

            build_hub(root, force=args.force)
        elif args.command == "serve":
            import uvicorn

            from .server import create_app

            if not os.path.isdir(root):
                raise CourseHubError(f"No course hub at {root}: build it first (`make hub-build`).")
            sock = bind_socket(args.host, args.port)
            print(f"Course hub serving {root} at http://{args.host}:{args.port} (Ctrl+C to stop)", flush=True)
            uvicorn.Server(uvicorn.Config(create_app(root), log_level="warning")).run(sockets=[sock])
        elif args.command == "mirror":
            from .mirror import mirror as mirror_models

            mirror_models(args.model_ids, root, endpoint=args.endpoint, token=os.environ.get("HF_TOKEN"))
    except (CourseHubError, ConnectionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
