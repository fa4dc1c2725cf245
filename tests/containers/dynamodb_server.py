"""The test DynamoDB image's server (it runs inside the container only): moto with the sandbox's corrections
(`labgrader.sandbox.moto`) on 0.0.0.0:8000, with only the DynamoDB and Streams models loaded up front, as a
student's DynamoDB Local answers. The sandbox's own server also warms ElastiCache and EC2, which took a second more
to start and which no container test asks for."""

from __future__ import annotations

import importlib
import os
import signal

PORT = 8000
WARM_MODULES = ("moto.dynamodb.models", "moto.dynamodbstreams.models")


def main() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from labgrader.sandbox import moto as moto_corrections

    moto_corrections.apply()
    for module in WARM_MODULES:
        importlib.import_module(module)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("0.0.0.0", PORT, app, threaded=True, request_handler=MotoRequestHandler)  # noqa: S104 - inside the container; published on 127.0.0.1
    # PID 1 of the container: without a handler SIGTERM is ignored and `docker stop` waits for its timeout.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever(poll_interval=0.05)


if __name__ == "__main__":
    main()
