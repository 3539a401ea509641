"""moto's server with one request at a time.

Stock `moto_server` serves requests on parallel threads without locking around
DynamoDB transactions, so two concurrent conditional writes can both succeed
(a lost update real DynamoDB never allows). Our tests race conditional writes
on purpose, so we run moto's own WSGI application behind a lock: same wire
protocol, linearizable like the real service.

usage: python moto_serial.py HOST PORT
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serial(environ, start_response):
    with lock:
        # Materialise the body inside the lock: the work happens while iterating.
        return list(app(environ, start_response))


if __name__ == "__main__":
    run_simple(
        sys.argv[1],
        int(sys.argv[2]),
        serial,
        threaded=True,
        request_handler=MotoRequestHandler,
    )
