"""moto's server with one request at a time.

Stock `moto_server` serves requests on parallel threads without locking around
DynamoDB transactions, so two concurrent conditional writes can both succeed
(a lost update real DynamoDB never allows). Our tests race conditional writes
on purpose, so we run moto's own WSGI application behind a lock: same wire
protocol, linearizable like the real service.

DynamoDB's TransactWriteItems is idempotent by ClientRequestToken (the AWS
SDKs fill one in and send it again on every retry of the call): a retry of a
transaction that was applied answers as the first call did, for 10 minutes.
moto ignores the token, so a retry after a timed-out attempt that moto applied
all the same would fail its conditions where DynamoDB succeeds. We keep the
successful answers by token here, as DynamoDB does, and refuse a token reused with
another body (IdempotentParameterMismatchException).

usage: python moto_serial.py HOST PORT
"""

import io
import json
import sys
import threading
import time

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


TRANSACT = "DynamoDB_20120810.TransactWriteItems"
TOKEN_WINDOW_SECONDS = 600
# token -> (when, request body, status, headers, response chunks)
answers = {}


def transact_token(environ):
    """The request body and its ClientRequestToken, for TransactWriteItems."""
    if environ.get("HTTP_X_AMZ_TARGET") != TRANSACT:
        return None, None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        token = json.loads(body).get("ClientRequestToken")
    except ValueError:
        token = None
    return body, token


def mismatch(start_response):
    body = json.dumps({
        "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
        "message": "The request uses the same client token as a previous, but non-identical request.",
    }).encode()
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0"),
                                       ("Content-Length", str(len(body)))])
    return [body]


def serial(environ, start_response):
    with lock:
        body, token = transact_token(environ)
        now = time.monotonic()
        for old in [t for t, a in answers.items() if now - a[0] > TOKEN_WINDOW_SECONDS]:
            del answers[old]
        if token in answers:
            _, first_body, status, headers, chunks = answers[token]
            # The same request, whatever order the SDK wrote its maps in.
            if json.loads(first_body) != json.loads(body):
                return mismatch(start_response)
            start_response(status, headers)
            return chunks
        seen = {}

        def keep(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        # Materialise the body inside the lock: the work happens while iterating.
        chunks = list(app(environ, keep))
        if token is not None and seen["status"].startswith("200"):
            answers[token] = (now, body, seen["status"], seen["headers"], chunks)
        return chunks


if __name__ == "__main__":
    run_simple(
        sys.argv[1],
        int(sys.argv[2]),
        serial,
        threaded=True,
        request_handler=MotoRequestHandler,
    )
