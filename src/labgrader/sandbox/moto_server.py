"""The sandbox's AWS control plane: moto's server with labgrader's corrections (moto_patches), on a free port.

Run as `python -m labgrader.sandbox.moto_server --port-file F`: binds 127.0.0.1 on a port the kernel picks (no race
between choosing a port and binding it), warms the lab's service backends, then writes the port to F.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

# The services a student uses in the lab; importing their models up front keeps the first grading call fast.
WARM_MODULES = (
    "moto.dynamodb.models",
    "moto.dynamodbstreams.models",
    "moto.elasticache.models",
    "moto.ec2.models",
    "moto.sts.models",
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="labgrader-moto-server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path, required=True)
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - moto loads only in this process
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server  # noqa: PLC0415

    from labgrader.sandbox import moto_patches  # noqa: PLC0415

    moto_patches.apply()
    for module in WARM_MODULES:
        importlib.import_module(module)

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    temporary = args.port_file.with_suffix(".tmp")
    temporary.write_text(str(server.server_port), encoding="utf-8")
    temporary.replace(args.port_file)
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
