#!/usr/bin/env bash
# HTTP load runs on a release `lms-zoom-local --zoom-emulator` (embedded store
# in a temporary directory), each route next to GET /healthz of the same server
# in the same run:
#   - the attendee SDK signature (POST /v1/academies/{a}/meetings/{m}/signature);
#   - the same with `user` given (who joins: the answer adds customerKey and
#     join; the id is a URL, so the key is the derived one, a SHA-256);
#   - the webhook URL validation (POST /v1/webhooks/zoom/{licenseId},
#     endpoint.url_validation, signed);
#   - a stored webhook event (meeting.participant_joined, a different
#     participant on every request, signed: every request is a durable write).
# Creates a license and a meeting with curl; webhook requests are signed by
# python3 just before each run (Zoom's timestamps are good for 300 s) and
# replayed by wrk from a file. Routes alternate for BENCH_ROUNDS rounds and the
# best round of each is reported, so a burst of other work on the machine skews
# all alike or none. Besides wrk's figures the table shows the server's own CPU
# time per request (user + system, read from /proc around each run), which
# holds steady when other work on the machine moves the throughput.
#
# Loopback only. Needs wrk (`apt-get install -y wrk`), curl and python3.
# Knobs: BENCH_DURATION (seconds per run, at most 10; default 8), BENCH_ROUNDS
# (default 2), BENCH_CONNECTIONS (default 8), BENCH_THREADS (wrk threads,
# default 1), BENCH_PROFILE (cargo profile, default release; `profiling` keeps
# symbols for perf), BENCH_ROUTES (of signature, signature-user, validation,
# event; default all four), BENCH_BINARY (an lms-zoom-local built before, run
# instead of building one: to compare two builds, e.g. a copy of main's and a
# branch's, in turn on the same machine), RUST_LOG (server log filter, default
# info as in production; the server's log goes to a temporary file).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

duration=${BENCH_DURATION:-8}
rounds=${BENCH_ROUNDS:-2}
connections=${BENCH_CONNECTIONS:-8}
threads=${BENCH_THREADS:-1}
if ! [[ $duration =~ ^[0-9]+$ ]] || ((duration < 1 || duration > 10)); then
  echo "bench-http: BENCH_DURATION must be 1-10 seconds" >&2
  exit 2
fi
if ! [[ $rounds =~ ^[0-9]+$ ]] || ((rounds < 1 || rounds > 5)); then
  echo "bench-http: BENCH_ROUNDS must be 1-5" >&2
  exit 2
fi
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || {
    echo "bench-http: $tool is missing (wrk: apt-get install -y wrk)" >&2
    exit 2
  }
done

target=${CARGO_TARGET_DIR:-$root/target}
profile=${BENCH_PROFILE:-release}
if [ -n "${BENCH_BINARY:-}" ]; then
  binary=$BENCH_BINARY
  [ -x "$binary" ] || {
    echo "bench-http: BENCH_BINARY $binary is not an executable" >&2
    exit 2
  }
  echo "bench-http: running $binary (not built here)" >&2
else
  echo "bench-http: building lms-zoom-local ($profile)" >&2
  cargo build --profile "$profile" --quiet --bin lms-zoom-local
  binary="$target/$profile/lms-zoom-local"
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
env -u LMS_ZOOM_API_TOKEN RUST_LOG="${RUST_LOG:-info}" "$binary" --zoom-emulator \
  --listen "127.0.0.1:$port" --data-dir "$work/data" >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$work/stdout" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || {
    cat "$work/server.log" >&2
    exit 1
  }
  sleep 0.1
done
grep -q '^listening on ' "$work/stdout" || {
  echo "bench-http: the server did not start" >&2
  exit 1
}

# The emulator's demo credentials, as the server printed them.
demo=$(grep -m1 '^demo license:' "$work/stdout")
field() { sed -E "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/" <<<"$demo"; }
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

webhook_secret=benchWebhookSecretToken
license=$(curl -sSf -X POST "$base/v1/academies/bench/licenses" -H 'content-type: application/json' \
  -d "{\"name\":\"Bench\",\"accountId\":\"$(field accountId)\",\"clientId\":\"$(field clientId)\",
       \"clientSecret\":\"$(field clientSecret)\",\"sdkKey\":\"benchSdkKey\",\"sdkSecret\":\"benchSdkSecret\",
       \"webhookSecretToken\":\"$webhook_secret\",\"hostUser\":\"$(field hostUser)\"}" | json licenseId)
start=$(date -u -d '+1 day' +%Y-%m-%dT%H:00:00Z)
meeting=$(curl -sSf -X POST "$base/v1/academies/bench/meetings" -H 'content-type: application/json' \
  -d "{\"topic\":\"Bench\",\"startTime\":\"$start\",\"durationMinutes\":60,\"licenseId\":\"$license\"}" |
  json meetingId)
signature_path="/v1/academies/bench/meetings/$meeting/signature"
webhook_path="/v1/webhooks/zoom/$license"
zoom_meeting=$(curl -sSf -X POST "$base$signature_path" -H 'content-type: application/json' \
  -d '{"role":"attendee"}' | json meetingNumber)
routes="healthz ${BENCH_ROUTES:-signature signature-user validation event}"
# Who joins: an id that is a URL, so the answer carries a derived customerKey.
user='{"id":"https://lms.example.edu/users/17","name":"Ana Perez","email":"ana@example.com"}'
if [[ " $routes " == *" signature-user "* ]]; then
  answer=$(curl -sS -X POST "$base$signature_path" -H 'content-type: application/json' \
    -d "{\"role\":\"attendee\",\"user\":$user}")
  grep -q '"join":' <<<"$answer" || {
    echo "bench-http: a signature with a user has no join (a build without it?): $answer" >&2
    exit 1
  }
fi
echo "bench-http: license $license, meeting $meeting (Zoom $zoom_meeting); $rounds round(s) of ${duration}s per route, $connections connections, $threads wrk thread(s)" >&2

# Signed webhook requests, one per line: signature, timestamp, body.
sign_requests() { # kind count file
  python3 - "$1" "$2" "$3" "$webhook_secret" "$zoom_meeting" <<'PY'
import hashlib, hmac, json, sys, time
kind, count, path, secret, zoom_meeting = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ts = str(int(time.time()))
now_ms = int(time.time() * 1000)
with open(path, "w") as out:
    for i in range(count):
        if kind == "validation":
            event = {"payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw%d" % i},
                     "event_ts": now_ms, "event": "endpoint.url_validation"}
        else:
            join = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            event = {"event": "meeting.participant_joined", "event_ts": now_ms + i,
                     "payload": {"account_id": "bench", "object": {
                         "id": zoom_meeting, "uuid": "benchUuid==", "host_id": "benchHost",
                         "topic": "Bench", "type": 2, "start_time": join, "timezone": "UTC",
                         "duration": 60, "participant": {
                             "user_id": str(16778240 + i), "user_name": "Student %d" % i,
                             "participant_uuid": "bench-participant-%d" % i,
                             "join_time": join, "email": "s%d@example.com" % i}}}}
        body = json.dumps(event, separators=(",", ":"))
        mac = hmac.new(secret.encode(), ("v0:%s:%s" % (ts, body)).encode(), hashlib.sha256)
        out.write("v0=%s\t%s\t%s\n" % (mac.hexdigest(), ts, body))
PY
}

report='done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.0f %.3f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, errors, summary.requests))
end'
printf '%s\n' "$report" >"$work/healthz.lua"
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n%s\n' \
  "'{\"role\":\"attendee\"}'" "$report" >"$work/signature.lua"
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n%s\n' \
  "'{\"role\":\"attendee\",\"user\":$user}'" "$report" >"$work/signature-user.lua"
for kind in validation event; do
  cat >"$work/$kind.lua" <<LUA
local requests, n = {}, 0
init = function(args)
  for line in io.lines("$work/$kind.requests") do
    local sig, ts, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json",
      ["x-zm-signature"] = sig, ["x-zm-request-timestamp"] = ts}, body)
  end
end
request = function()
  n = n % #requests + 1
  return requests[n]
end
$report
LUA
done

# CPU time (user + system, clock ticks) the server has used so far.
server_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
ticks_per_second=$(getconf CLK_TCK)
run() { # name script path seconds -> "req/s p50 p99 max errors server_cpu_us_per_request"
  local before after
  before=$(server_ticks)
  wrk -t"$threads" -c"$connections" -d"$4s" --latency -s "$2" "$base$3" >"$work/$1.out"
  after=$(server_ticks)
  grep '^RESULT' "$work/$1.out" | awk -v t=$((after - before)) -v hz="$ticks_per_second" \
    '{ printf "%s %s %s %s %s %.1f\n", $2, $3, $4, $5, $6, ($7 > 0 ? t * 1e6 / hz / $7 : 0) }'
}
# A webhook run replays requests signed just now: enough for 20k req/s, and
# each stored event a new participant (a wrap-around would only re-deliver).
signed_run() { # kind seconds
  sign_requests "$1" $((20000 * $2)) "$work/$1.requests"
  run "$1" "$work/$1.lua" "$webhook_path" "$2"
}

run warmup "$work/signature.lua" "$signature_path" 2 >/dev/null
signed_run validation 1 >/dev/null
for route in $routes; do : >"$work/$route.results"; done
for round in $(seq 1 "$rounds"); do
  for route in $routes; do
    case $route in
      healthz) run healthz "$work/healthz.lua" /healthz "$duration" ;;
      signature) run signature "$work/signature.lua" "$signature_path" "$duration" ;;
      signature-user) run signature-user "$work/signature-user.lua" "$signature_path" "$duration" ;;
      *) signed_run "$route" "$duration" ;;
    esac | tee -a "$work/$route.results" | sed "s/^/bench-http: round $round $route /" >&2
  done
done

best() { sort -k1,1 -n -r "$1" | head -1; }
printf '%-40s %10s %9s %9s %9s %7s %11s %9s\n' route req/s p50_ms p99_ms max_ms errors cpu_us/req vs_healthz
h_rps=$(best "$work/healthz.results" | cut -d' ' -f1)
label() {
  case $1 in
    healthz) echo "GET /healthz" ;;
    signature) echo "POST .../signature (attendee)" ;;
    signature-user) echo "POST .../signature (attendee, user)" ;;
    validation) echo "POST /v1/webhooks/zoom (url_validation)" ;;
    event) echo "POST /v1/webhooks/zoom (stored event)" ;;
  esac
}
for route in $routes; do
  read -r rps p50 p99 max err cpu < <(best "$work/$route.results")
  share=$(python3 -c 'import sys; print("%.0f %%" % (100 * float(sys.argv[1]) / float(sys.argv[2])))' "$rps" "$h_rps")
  printf '%-40s %10s %9s %9s %9s %7s %11s %9s\n' "$(label "$route")" "$rps" "$p50" "$p99" "$max" "$err" "$cpu" "$share"
done
errors=$(cat "$work"/*.results | awk '{ n += $5 } END { print n + 0 }')
if [ "$errors" != 0 ]; then
  echo "bench-http: $errors requests failed (non-2xx or socket errors)" >&2
  exit 1
fi
