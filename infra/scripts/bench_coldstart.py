"""Cold starts of the Lambda function binaries against a stand-in of the Lambda
Runtime API, with the AWS side played by a moto server.

For each run: exec the binary with the environment a real Lambda sets
(`AWS_LAMBDA_RUNTIME_API` pointing at this process), and measure
  init   = from just before posix_spawn to the arrival of its first
           `GET /2018-06-01/runtime/invocation/next`,
  invoke = from the moment the event (an API Gateway HTTP API v2 payload) has
           been written to that poll's socket to the arrival of the whole
           `POST .../invocation/{id}/response`,
  rss    = VmHWM of the process once it polls for the next event (the first
           invocation done),
  cpu    = CPU time of all its threads at the first poll (schedstat), and
           their run-queue wait: on a busy machine, the wait tells how much of
           init was other processes' turn.
Runs alternate between the functions so a burst of other work on the machine
skews them alike. Every answer is checked (status code, and the webhook's
encryptedToken): a run that answers wrongly fails the benchmark.

usage: python bench_coldstart.py --bin-dir DIR --runs N --out RESULTS.json
Needs AWS_ENDPOINT_URL (moto) in the environment and boto3 importable (moto's
venv has it) to create the table.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import resource
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TABLE = "lms-zoom-bench"
PREFIX = "lms-zoom-bench/"
ACADEMY = "bench"
REGION = "us-east-1"
ACCOUNT = "123456789012"
WEBHOOK_TOKEN = "benchWebhookSecretToken0123456789"
UNKNOWN_MEETING = "mtg_01kbench000000000000000000"
FUNCTIONS = ["licenses", "meetings", "sdk-signature", "zoom-webhooks", "recording-archiver"]
# template.yaml: MemorySize per function (Globals: 256).
MEMORY = {"licenses": 256, "meetings": 256, "sdk-signature": 256, "zoom-webhooks": 512,
          "recording-archiver": 256}
# template.yaml: Timeout per function (Globals: 29).
TIMEOUT_S = {"licenses": 29, "meetings": 29, "sdk-signature": 15, "zoom-webhooks": 3,
             "recording-archiver": 600}
BUCKET = "lms-zoom-bench-recordings"
QUEUE = "lms-zoom-bench-archive"


class Run:
    """One cold start: what the stand-in saw, with monotonic timestamps (ns)."""

    def __init__(self, event):
        self.event = json.dumps(event).encode()
        self.request_id = str(uuid.uuid4())
        self.polls = 0
        self.pid = None
        self.init_sched = None
        self.t_spawn = None
        self.t_first_poll = None
        self.t_event_sent = None
        self.t_response = None
        self.response = None
        self.error = None
        self.answered = threading.Event()  # response or error posted
        self.polled_again = threading.Event()  # first invocation done
        self.over = threading.Event()  # the process is gone: release the held poll


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        now = time.monotonic_ns()
        run = self.server.run
        if self.path != "/2018-06-01/runtime/invocation/next" or run is None:
            self._reply(404, b'{"errorMessage":"not found"}')
            return
        run.polls += 1
        if run.polls == 1:
            run.t_first_poll = now
            run.init_sched = schedstat(run.pid)
            fn = self.server.function
            deadline = int(time.time() * 1000) + TIMEOUT_S[fn] * 1000
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:lms-zoom-{fn}"
            trace = "Root=1-%08x-%s;Parent=%s;Sampled=0" % (
                int(time.time()),
                uuid.uuid4().hex[:24],
                uuid.uuid4().hex[:16],
            )
            self._reply(
                200,
                run.event,
                [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", run.request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn", arn),
                    ("Lambda-Runtime-Trace-Id", trace),
                ],
            )
            run.t_event_sent = time.monotonic_ns()
        else:
            # The first invocation is done; hold the poll as Lambda does
            # (freeze) until the harness has measured and ended the process.
            run.polled_again.set()
            run.over.wait(60)
            self.close_connection = True

    def do_POST(self):
        run = self.server.run
        body = self._body()
        now = time.monotonic_ns()
        base = "/2018-06-01/runtime/"
        if run is None or not self.path.startswith(base):
            self._reply(404, b'{"errorMessage":"not found"}')
            return
        rest = self.path[len(base) :]
        if rest == "init/error":
            run.error = ("init", body.decode(errors="replace"))
            run.answered.set()
        elif rest == f"invocation/{run.request_id}/response":
            run.t_response = now
            run.response = body
            run.answered.set()
        elif rest == f"invocation/{run.request_id}/error":
            run.t_response = now
            run.error = ("invocation", body.decode(errors="replace"))
            run.answered.set()
        else:
            self._reply(400, b'{"errorMessage":"unknown request id"}')
            return
        self._reply(202, b'{"status":"OK"}', [("Content-Type", "application/json")])


def http_event(method, path, route, path_params, body=None, headers=None, iam=True):
    """An API Gateway HTTP API payload format 2.0 event."""
    now = time.time()
    h = {
        "accept": "application/json",
        "accept-encoding": "gzip, deflate",
        "content-length": str(len(body or "")),
        "host": "abc123defg.execute-api.us-east-1.amazonaws.com",
        "user-agent": "lms-backend/1.0",
        "x-amzn-trace-id": "Root=1-%08x-%s" % (int(now), uuid.uuid4().hex[:24]),
        "x-forwarded-for": "203.0.113.10",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body is not None:
        h["content-type"] = "application/json"
    h.update(headers or {})
    context = {
        "accountId": ACCOUNT,
        "apiId": "abc123defg",
        "domainName": "abc123defg.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "abc123defg",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10",
            "userAgent": h["user-agent"],
        },
        "requestId": base64.b32encode(os.urandom(10)).decode().rstrip("=")[:16],
        "routeKey": route,
        "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if iam:
        context["authorizer"] = {
            "iam": {
                "accessKey": "ASIAEXAMPLEEXAMPLE00",
                "accountId": ACCOUNT,
                "callerId": "AROAEXAMPLEEXAMPLE000:lms-backend",
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/lms-backend/lms-backend",
                "userId": "AROAEXAMPLEEXAMPLE000:lms-backend",
            }
        }
    event = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": h,
        "requestContext": context,
        "pathParameters": path_params,
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


def events(license_id):
    """function -> (event factory, check of the lambda_http answer)."""

    def status(expected):
        def check(answer):
            return answer.get("statusCode") == expected, f"statusCode {expected}"

        return check

    def webhook():
        body = json.dumps(
            {
                "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
                "event_ts": int(time.time() * 1000),
                "event": "endpoint.url_validation",
            },
            separators=(",", ":"),
        )
        ts = str(int(time.time()))
        sig = hmac.new(WEBHOOK_TOKEN.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
        return http_event(
            "POST",
            f"/v1/webhooks/zoom/{license_id}",
            "POST /v1/webhooks/zoom/{licenseId}",
            {"licenseId": license_id},
            body,
            {
                "x-zm-request-timestamp": ts,
                "x-zm-signature": "v0=" + sig.hexdigest(),
                "user-agent": "Zoom Marketplace/1.0a",
                "clientid": "benchClientId",
            },
            iam=False,
        )

    def webhook_check(answer):
        expected = hmac.new(
            WEBHOOK_TOKEN.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
        ).hexdigest()
        try:
            body = json.loads(answer.get("body") or "{}")
        except ValueError:
            body = {}
        ok = answer.get("statusCode") == 200 and body.get("encryptedToken") == expected
        return ok, "statusCode 200 with the right encryptedToken"

    return {
        "licenses": (
            lambda: http_event(
                "GET",
                f"/v1/academies/{ACADEMY}/licenses",
                "ANY /v1/academies/{academyId}/licenses",
                {"academyId": ACADEMY},
            ),
            status(200),
        ),
        "meetings": (
            lambda: http_event(
                "GET",
                f"/v1/academies/{ACADEMY}/meetings",
                "ANY /v1/academies/{academyId}/meetings",
                {"academyId": ACADEMY},
            ),
            status(200),
        ),
        "sdk-signature": (
            lambda: http_event(
                "POST",
                f"/v1/academies/{ACADEMY}/meetings/{UNKNOWN_MEETING}/signature",
                "ANY /v1/academies/{academyId}/meetings/{meetingId}/signature",
                {"academyId": ACADEMY, "meetingId": UNKNOWN_MEETING},
                '{"role":"attendee"}',
            ),
            status(404),
        ),
        "zoom-webhooks": (webhook, webhook_check),
        # One archive job for a file nobody recorded: the archiver reads its
        # state from DynamoDB, finds nothing to do, and reports no failure.
        "recording-archiver": (
            lambda: sqs_event(
                {"academyId": ACADEMY, "meetingId": UNKNOWN_MEETING, "recordingId": "bench-file"}
            ),
            lambda answer: (answer == {"batchItemFailures": []}, "no batch item failure"),
        ),
    }


def sqs_event(job):
    """An SQS event of one record, as Lambda's event source mapping sends it."""
    now = str(int(time.time() * 1000))
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "bench-receipt-" + uuid.uuid4().hex,
                "body": json.dumps(job),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": now,
                    "SenderId": "AIDABENCH",
                    "ApproximateFirstReceiveTimestamp": now,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(json.dumps(job).encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}",
                "awsRegion": REGION,
            }
        ]
    }


def lambda_env(fn, runtime_api, endpoint):
    """What Lambda sets for a provided.al2023 function, plus template.yaml's variables."""
    name = f"lms-zoom-{fn}"
    return {
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY[fn]),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]")
        + uuid.uuid4().hex,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "ASIABENCHBENCHBENCH0",
        "AWS_SECRET_ACCESS_KEY": "benchbenchbenchbenchbenchbenchbenchbench",
        "AWS_SESSION_TOKEN": "benchSessionToken",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        "_AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129",
        "_AWS_XRAY_DAEMON_PORT": "2000",
        "_HANDLER": "bootstrap",
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
        # The stand-in for the real endpoints.
        "AWS_ENDPOINT_URL": endpoint,
        # template.yaml Globals.Function.Environment
        "TABLE_NAME": TABLE,
        "SECRETS_PREFIX": PREFIX,
        "ZOOM_API_URL": "https://api.zoom.us/v2",
        "ZOOM_OAUTH_URL": "https://zoom.us/oauth/token",
        "RECORDINGS_BUCKET": BUCKET,
        "RECORDINGS_QUEUE_URL": f"{endpoint}/{ACCOUNT}/{QUEUE}",
        "RUST_LOG": "info",
    }


def schedstat(pid):
    """(CPU time, run-queue wait) in ms summed over the process's threads so far."""
    if pid is None:
        return None
    cpu = wait = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                run_ns, wait_ns, _ = f.read().split()
            cpu += int(run_ns)
            wait += int(wait_ns)
    except (OSError, ValueError):
        return None
    return cpu / 1e6, wait / 1e6


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


class Bench:
    def __init__(self, bin_dir, endpoint, log_dir, extra_env):
        self.extra_env = extra_env
        self.kill_signal = signal.SIGKILL
        self.bin_dir = bin_dir
        self.endpoint = endpoint
        self.log_dir = log_dir
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.run = None
        self.server.function = None
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.runtime_api = "127.0.0.1:%d" % self.server.server_address[1]

    def once(self, fn, event, check):
        run = Run(event)
        self.server.function = fn
        self.server.run = run
        log = os.path.join(self.log_dir, f"{fn}.log")
        env = lambda_env(fn, self.runtime_api, self.endpoint)
        env.update(self.extra_env)
        binary = os.path.join(self.bin_dir, fn)
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ]
        run.t_spawn = time.monotonic_ns()
        pid = os.posix_spawn(binary, [binary], env, file_actions=actions)
        run.pid = pid
        hwm = rss = None
        try:
            if not run.answered.wait(60):
                raise SystemExit(f"bench-coldstart: {fn} did not answer within 60 s; see {log}")
            if run.error:
                raise SystemExit(f"bench-coldstart: {fn} posted an {run.error[0]} error: {run.error[1]}; see {log}")
            answer = json.loads(run.response)
            ok, wanted = check(answer)
            if not ok:
                raise SystemExit(f"bench-coldstart: {fn} answered {json.dumps(answer)[:600]}, wanted {wanted}; see {log}")
            if run.polled_again.wait(10):
                hwm = status_kib(pid, "VmHWM")
                rss = status_kib(pid, "VmRSS")
        finally:
            try:
                os.kill(pid, self.kill_signal)
            except ProcessLookupError:
                pass
            _, _, usage = os.wait4(pid, 0)
            run.over.set()
            self.server.run = None
        return {
            "init_ms": (run.t_first_poll - run.t_spawn) / 1e6,
            "invoke_ms": (run.t_response - run.t_event_sent) / 1e6,
            "total_ms": (run.t_response - run.t_spawn) / 1e6,
            "init_cpu_ms": run.init_sched[0] if run.init_sched else None,
            "init_wait_ms": run.init_sched[1] if run.init_sched else None,
            "hwm_kib": hwm,
            "rss_kib": rss,
            # ru_maxrss is no use here: exec records the spawning Python's
            # high-water mark into it (the vfork child shares its memory).
            "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1e3,
            "status": answer.get("statusCode"),
            "answer": answer,
        }


def create_table(endpoint):
    import boto3  # moto's venv has it

    ddb = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="ASIABENCHBENCHBENCH0",
        aws_secret_access_key="benchbenchbenchbenchbenchbenchbenchbench",
    )
    if TABLE in ddb.list_tables()["TableNames"]:
        ddb.delete_table(TableName=TABLE)
    ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
    )


def pct(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-p * len(s) // 100) - 1))  # nearest rank
    return s[int(k)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", required=True)
    ap.add_argument("--log-dir", default=None)
    ap.add_argument("--only", action="append", choices=FUNCTIONS, help="measure only these functions")
    ap.add_argument(
        "--kill-signal",
        default="KILL",
        help="signal that ends a run (TERM lets a wrapper such as perf record finish)",
    )
    ap.add_argument(
        "--extra-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one more variable for the functions (experiments)",
    )
    args = ap.parse_args()
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    log_dir = args.log_dir or tempfile.mkdtemp(prefix="bench-coldstart-")
    os.makedirs(log_dir, exist_ok=True)

    create_table(endpoint)
    extra = dict(kv.split("=", 1) for kv in args.extra_env)
    bench = Bench(args.bin_dir, endpoint, log_dir, extra)
    bench.kill_signal = getattr(signal, "SIG" + args.kill_signal)
    functions = args.only or FUNCTIONS

    # The data the measured requests read: one license with a webhook secret,
    # created through the licenses function itself (no Zoom call: verify=false).
    create = http_event(
        "POST",
        f"/v1/academies/{ACADEMY}/licenses",
        "ANY /v1/academies/{academyId}/licenses",
        {"academyId": ACADEMY},
        json.dumps(
            {
                "name": "Bench license",
                "accountId": "benchAccountId",
                "clientId": "benchClientId",
                "clientSecret": "benchClientSecret0000",
                "sdkKey": "benchSdkKey",
                "sdkSecret": "benchSdkSecret0000",
                "webhookSecretToken": WEBHOOK_TOKEN,
                "hostUser": "teacher@example.com",
            }
        ),
    )
    create["rawQueryString"] = "verify=false"
    create["queryStringParameters"] = {"verify": "false"}
    created = bench.once("licenses", create, lambda a: (a.get("statusCode") == 201, "statusCode 201"))
    license_id = json.loads(created["answer"]["body"])["licenseId"]
    print(f"bench-coldstart: license {license_id} created in moto", file=sys.stderr, flush=True)

    plan = events(license_id)
    # One unmeasured run each: page cache warm, moto's code paths warm.
    for fn in functions:
        factory, check = plan[fn]
        bench.once(fn, factory(), check)

    results = {fn: [] for fn in functions}
    for i in range(args.runs):
        for fn in functions:
            factory, check = plan[fn]
            results[fn].append(bench.once(fn, factory(), check))
        print(f"bench-coldstart: round {i + 1}/{args.runs} done", file=sys.stderr, flush=True)

    summary = {}
    for rs in results.values():
        for r in rs:
            del r["answer"]
    for fn, rs in results.items():
        init = [r["init_ms"] for r in rs]
        inv = [r["invoke_ms"] for r in rs]
        hwm = [r["hwm_kib"] for r in rs if r["hwm_kib"] is not None]
        icpu = [r["init_cpu_ms"] for r in rs if r["init_cpu_ms"] is not None]
        iwait = [r["init_wait_ms"] for r in rs if r["init_wait_ms"] is not None]
        summary[fn] = {
            "runs": len(rs),
            "init_ms": {"median": statistics.median(init), "p90": pct(init, 90), "max": max(init), "min": min(init)},
            "invoke_ms": {"median": statistics.median(inv), "p90": pct(inv, 90), "max": max(inv)},
            "total_ms_median": statistics.median(r["total_ms"] for r in rs),
            "init_cpu_ms_median": statistics.median(icpu) if icpu else None,
            "init_runqueue_wait_ms_median": statistics.median(iwait) if iwait else None,
            "cpu_ms_median": statistics.median(r["cpu_ms"] for r in rs),
            "peak_rss_mib": {
                "vmhwm_median": statistics.median(hwm) / 1024 if hwm else None,
                "vmhwm_max": max(hwm) / 1024 if hwm else None,
            },
            "status": rs[0]["status"],
        }
    with open(args.out, "w") as f:
        json.dump({"summary": summary, "runs": results, "log_dir": log_dir}, f, indent=1)


if __name__ == "__main__":
    main()
