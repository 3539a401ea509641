#!/usr/bin/env bash
# Contract test: schemathesis (pinned, from PyPI, in .venv-schemathesis)
# generates requests from openapi.yaml against `lms-zoom-local --zoom-emulator`
# (debug build, embedded store in a temporary directory, no bearer token) and
# fails on any 5xx or any response that breaks the document (status code,
# content type, headers, body schema).
#
# Before the run one academy gets a verified license (the emulator's demo
# credentials) and a scheduled meeting; their ids are fed to schemathesis as
# dictionaries, so that part of the generated requests reach real licenses and
# meetings (2xx answers, Zoom calls) instead of only 404s. Webhook requests are
# never signed: they must all get the documented 401 problem.
#
# Extra arguments go to `cargo build` (CI passes --locked). Knobs:
# SCHEMATHESIS_MAX_EXAMPLES (per operation and phase, default 100),
# SCHEMATHESIS_SEED (default 20261127), SCHEMATHESIS_WORKERS (default 2, or 1
# on an interpreter with gh-106905: see below).
# Reports (JUnit XML, the server's log) go to target/schemathesis/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

venv=${SCHEMATHESIS_VENV:-$root/.venv-schemathesis}
pins="schemathesis==4.32.5"
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
seed=${SCHEMATHESIS_SEED:-20261127}
target_dir=${CARGO_TARGET_DIR:-$root/target}
reports=$target_dir/schemathesis
academy=st-academy

started=$(date +%s)

if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  echo "schemathesis.sh: installing $pins into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$pins"
  echo "$pins" >"$venv/.pins"
fi

# Two workers, where the interpreter allows it: CPython 3.11.0-3.11.7 and
# 3.12.0 keep ast.parse's recursion depth in state that threads share
# (gh-106905, fixed in 3.11.8 and 3.12.1), and hypothesis parses sources
# while drawing, so two worker threads there fail at random with
# "SystemError: AST constructor recursion depth mismatch" — a fault of the
# tool, not of the API. One worker on those.
if [ -z "${SCHEMATHESIS_WORKERS:-}" ]; then
  if "$venv/bin/python" -c 'import sys; v = sys.version_info[:3]
sys.exit(0 if (3, 11, 0) <= v < (3, 11, 8) or v == (3, 12, 0) else 1)'; then
    workers=1
    echo "schemathesis.sh: $("$venv/bin/python" -V) has gh-106905: one worker" >&2
  else
    workers=2
  fi
else
  workers=$SCHEMATHESIS_WORKERS
fi

# The server is built with the whole workspace's test feature set (`--tests`:
# dev-dependencies such as tokio's test-util count), the one `cargo test
# --workspace` builds with: after infra/scripts/test.sh this build is a no-op
# and reuses its binary, where `cargo build --bin lms-zoom-local` would
# compile tokio, hyper, the AWS SDK... a second time (~2 min, ~1 GB of disk;
# a CI machine once ran out of disk right there).
cargo build --workspace --bins --tests "$@"
binary=$target_dir/debug/lms-zoom-local

work=$(mktemp -d)
mkdir -p "$reports"
server_pid=
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop_server EXIT

# Port 0: the kernel picks a free port and the server prints the one it got.
env -u LMS_ZOOM_API_TOKEN -u PUBLIC_BASE_URL RUST_LOG=info \
  "$binary" --zoom-emulator --listen 127.0.0.1:0 --data-dir "$work/data" \
  >"$work/stdout" 2>"$reports/server.log" &
server_pid=$!

base=
for _ in $(seq 1 300); do
  base=$(sed -n 's/^listening on \(http:\/\/[^ ]*\)$/\1/p' "$work/stdout")
  [ -n "$base" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "schemathesis.sh: lms-zoom-local exited before listening; its output:" >&2
    cat "$work/stdout" "$reports/server.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$base" ]; then
  echo "schemathesis.sh: lms-zoom-local printed no 'listening on' line within 30 s" >&2
  exit 1
fi
echo "schemathesis.sh: lms-zoom-local is up at $base" >&2

# Seed data, and the schemathesis configuration that hands its ids out.
"$venv/bin/python" - "$base" "$academy" "$work/schemathesis.toml" <<'PY'
import json, sys, urllib.request

base, academy, config = sys.argv[1:]

def post(path, body):
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), method="POST",
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)

license = post(f"/v1/academies/{academy}/licenses", {
    "name": "Schemathesis seed", "accountId": "demo-account",
    "clientId": "demo-client-id", "clientSecret": "demo-client-secret",
    "sdkKey": "generalAppClientId", "sdkSecret": "generalAppClientSecret",
    "webhookSecretToken": "webhookToken", "hostUser": "teacher@example.com",
    "maxConcurrentMeetings": 2})
if license["status"] != "verified":
    sys.exit(f"seed license is {license['status']}: {json.dumps(license['verification'])}")
meeting = post(f"/v1/academies/{academy}/meetings", {
    "topic": "Seed class", "startTime": "2030-01-10T15:00:00Z",
    "durationMinutes": 60, "licenseId": license["licenseId"]})

with open(config, "w") as out:
    out.write(f"""
[dictionaries.academies]
values = [{json.dumps(academy)}]
[dictionaries.licenses]
values = [{json.dumps(license["licenseId"])}]
[dictionaries.meetings]
values = [{json.dumps(meeting["meetingId"])}]

[parameters]
"path.academyId" = {{ dictionary = "academies", probability = 0.6 }}
"path.licenseId" = {{ dictionary = "licenses", probability = 0.6 }}
"path.meetingId" = {{ dictionary = "meetings", probability = 0.6 }}
"body.licenseId" = {{ dictionary = "licenses", probability = 0.6 }}
""")
print(f"schemathesis.sh: seeded {license['licenseId']} and {meeting['meetingId']} in {academy}",
      file=sys.stderr)
PY

checks=not_a_server_error,status_code_conformance,content_type_conformance
checks=$checks,response_headers_conformance,response_schema_conformance
status=0
rm -f "$reports/junit.xml"
(
  cd "$work"
  timeout 900 "$venv/bin/schemathesis" --no-color --config-file "$work/schemathesis.toml" \
    run "$root/openapi.yaml" \
    --url "$base" \
    --checks "$checks" \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers "$workers" \
    --generation-database none \
    --request-timeout 10 \
    --report junit --report-junit-path "$reports/junit.xml"
) || status=$?

if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "schemathesis.sh: lms-zoom-local died during the run; see $reports/server.log" >&2
  status=1
elif grep -q '"level":"ERROR"' "$reports/server.log"; then
  echo "schemathesis.sh: the server logged errors:" >&2
  grep '"level":"ERROR"' "$reports/server.log" | head -20 >&2
  status=1
fi

# One closing line: operations (and the stateful run) passed and failed.
"$venv/bin/python" - "$reports/junit.xml" "$status" <<'PY' || true
import sys, xml.etree.ElementTree as ET
try:
    suites = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)
tests = int(suites.get("tests", 0))
failed = int(suites.get("failures", 0)) + int(suites.get("errors", 0))
skipped = int(suites.get("skipped", 0))
if sys.argv[2] != "0" and failed == 0:
    failed = 1  # the server died or logged errors: count it
print(f"schemathesis: {max(tests - failed - skipped, 0)} passed, {failed} failed, {skipped} skipped")
PY
echo "schemathesis.sh: finished in $(($(date +%s) - started)) s with status $status" >&2
exit "$status"
