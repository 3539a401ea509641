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

moto also backs every transaction up by copying the whole table once per item
of the transaction, so a transaction's cost grows with the table; we back up
only the items it writes (transact_with_item_backup), as cheap as DynamoDB
keeps it, with the same all-or-nothing outcome.

usage: python moto_serial.py HOST PORT
"""

import copy
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
import moto.dynamodb.models as ddb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


class NoTableCopies:
    """Stands in for the `copy` module in moto's DynamoDB backend: while a
    transaction runs, deep copies of whole tables (moto's rollback backup,
    taken once per item of the transaction) are the table itself; every
    other deep copy is moto's own. The transaction's own backup of the items
    it touches replaces them (transact_with_item_backup)."""

    def __init__(self):
        self.active = False

    def deepcopy(self, value, memo=None):
        if self.active and isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


backups = NoTableCopies()
ddb_models.copy = backups
transact_write_items = ddb_models.DynamoDBBackend.transact_write_items


def touched(backend, transact_items):
    """(table, hash, range, a copy of the item or None) of each item written."""
    kept = []
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            table = backend.get_table(op["TableName"])
            attrs = op.get("Item") or op["Key"]
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
            current = table.get_item(hash_key, range_key)
        except Exception:  # moto itself reports what is wrong with the entry
            continue
        kept.append((table, hash_key, range_key, copy.deepcopy(current)))
    return kept


def transact_with_item_backup(self, transact_items, *args, **kwargs):
    """moto backs a TransactWriteItems up by deep-copying the whole table once
    per item of the transaction (moto 5.2.5, dynamodb/models/__init__.py), so
    a transaction's cost is items x table size: on a table of a few thousand
    items even a one-item transaction takes a tenth of a second and a large
    one seconds, past the SDK's 2 s timeout, where DynamoDB's cost does not
    grow with the table. Back up only the items the transaction writes, and
    put them back as they were if it fails (it applies nothing, as before)."""
    kept = touched(self, transact_items)
    backups.active = True
    try:
        return transact_write_items(self, transact_items, *args, **kwargs)
    except Exception:
        for table, hash_key, range_key, item in reversed(kept):
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is None:
                table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        raise
    finally:
        backups.active = False


ddb_models.DynamoDBBackend.transact_write_items = transact_with_item_backup


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
