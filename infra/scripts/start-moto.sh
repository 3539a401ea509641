#!/usr/bin/env bash
# Starts moto's server (DynamoDB, Secrets Manager, S3 and SQS wire protocols) on 127.0.0.1,
# installing it into a venv first if needed, and waits until it answers.
# Prints `export AWS_ENDPOINT_URL=...` lines; the PID goes to $MOTO_PIDFILE.
# Fails loudly when moto cannot be installed or does not come up.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${MOTO_VENV:-$root/.venv-moto}
moto_version=${MOTO_VERSION:-5.2.5}
log=${MOTO_LOG:-$root/target/moto.log}
pidfile=${MOTO_PIDFILE:-$root/target/moto.pid}
mkdir -p "$(dirname "$log")" "$(dirname "$pidfile")"

if ! "$venv/bin/python" -c "import moto.server" >/dev/null 2>&1; then
  echo "start-moto: installing moto[server]==$moto_version into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$moto_version" >&2
fi

port=${MOTO_PORT:-$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
# moto's server, one request at a time (see moto_serial.py for why).
"$venv/bin/python" "$root/infra/scripts/moto_serial.py" 127.0.0.1 "$port" >"$log" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

url="http://127.0.0.1:$port"
for _ in $(seq 1 150); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "start-moto: moto_server exited; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/', timeout=1)" "$url" >/dev/null 2>&1; then
    # moto loads a service's backend on its first request, which can take
    # seconds on a busy machine: longer than the SDK's 2 s operation timeout
    # of the first test to call it. Warm both services up before saying ready.
    if ! "$venv/bin/python" - "$url" >&2 <<'PY'
import sys, urllib.request
url = sys.argv[1]
for service, target in [("dynamodb", "DynamoDB_20120810.ListTables"),
                        ("secretsmanager", "secretsmanager.ListSecrets"),
                        ("sqs", "AmazonSQS.ListQueues")]:
    request = urllib.request.Request(url + "/", data=b"{}", method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1" if service == "secretsmanager"
                        else "application/x-amz-json-1.0",
        "X-Amz-Target": target,
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/%s/aws4_request, "
                         "SignedHeaders=host, Signature=0" % service})
    with urllib.request.urlopen(request, timeout=30) as answer:
        if answer.status != 200:
            sys.exit("start-moto: %s answered %d" % (target, answer.status))
# S3 (path-style): list the buckets.
request = urllib.request.Request(url + "/", method="GET", headers={
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, "
                     "SignedHeaders=host, Signature=0"})
with urllib.request.urlopen(request, timeout=30) as answer:
    if answer.status != 200:
        sys.exit("start-moto: S3 ListBuckets answered %d" % answer.status)
PY
    then
      echo "start-moto: moto answered but its DynamoDB / Secrets Manager did not" >&2
      kill "$pid" 2>/dev/null || true
      exit 1
    fi
    echo "export AWS_ENDPOINT_URL=$url"
    exit 0
  fi
  sleep 0.2
done
echo "start-moto: moto_server did not answer on $url within 30 s; its log:" >&2
cat "$log" >&2
kill "$pid" 2>/dev/null || true
exit 1
