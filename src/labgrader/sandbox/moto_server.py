"""The sandbox's AWS control plane: moto's server with labgrader's corrections (sandbox/moto/), on a free port.

Run as `python -m labgrader.sandbox.moto_server --port-file F [--region R]`: binds 127.0.0.1 on a port the kernel
picks (no race between choosing a port and binding it), warms the lab's service backends, then writes the port to F.
"""

from __future__ import annotations

import argparse
import importlib
import os
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
    "moto.sts.models",
)
# Why the server loop polls for shutdown this often: werkzeug's default (0.5 s) made every `sandbox down` wait.
SHUTDOWN_POLL_S = 0.05


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="labgrader-moto-server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--sandbox-home", type=Path, default=None, help="the sandbox's home (its Redis nodes' ports)")
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - moto loads only in this process
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server  # noqa: PLC0415

    from labgrader.sandbox import data_plane  # noqa: PLC0415
    from labgrader.sandbox import moto as moto_corrections  # noqa: PLC0415

    moto_corrections.apply()
    data_plane.configure(args.sandbox_home)
    for module in WARM_MODULES:
        importlib.import_module(module)

    threading.Thread(target=_warm_ec2, args=(args.region,), name="warm-ec2", daemon=True).start()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    temporary = args.port_file.with_suffix(".tmp")
    temporary.write_text(str(server.server_port), encoding="utf-8")
    temporary.replace(args.port_file)
    server.serve_forever(poll_interval=SHUTDOWN_POLL_S)
    # Nothing to save (moto keeps everything in memory): skip tearing down moto's many modules and objects.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _warm_ec2(region: str) -> None:
    """EC2's models and its region backend (AMI and zone tables) take as long to load as WARM_MODULES together, and
    only the lab's VPC steps need them: they load on a thread after the port is announced, while Redis starts and
    the DynamoDB part runs. An EC2 request that comes first waits on the import lock and moto's backend lock, so it
    is answered as before, only later."""
    from moto.core.models import DEFAULT_ACCOUNT_ID  # noqa: PLC0415 - loads only in this process
    from moto.ec2.models import ec2_backends  # noqa: PLC0415

    ec2_backends[DEFAULT_ACCOUNT_ID][region]


if __name__ == "__main__":
    main()
