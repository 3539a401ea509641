#!/usr/bin/env bash
# HTTP load run of the attendee SDK signature
# (POST /v1/academies/{a}/meetings/{m}/signature) against GET /healthz, on a
# release `lms-zoom-local --zoom-emulator` (embedded store in a temporary
# directory). Creates a license and a meeting with curl, runs wrk on each route
# for a bounded time, prints req/s and latency percentiles. The two routes
# alternate for BENCH_ROUNDS rounds and the best round of each is reported, so
# a burst of other work on the machine skews both alike or neither.
#
# Loopback only. Needs wrk (`apt-get install -y wrk`), curl and python3.
# Knobs: BENCH_DURATION (seconds per run, at most 10; default 8), BENCH_ROUNDS
# (default 2), BENCH_CONNECTIONS (default 8), BENCH_THREADS (wrk threads,
# default 1), RUST_LOG (server log filter, default info as in production; the
# server's log goes to a temporary file).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

duration=${BENCH_DURATION:-8}
rounds=${BENCH_ROUNDS:-2}
connections=${BENCH_CONNECTIONS:-8}
threads=${BENCH_THREADS:-1}
if ! [[ $duration =~ ^[0-9]+$ ]] || ((duration < 1 || duration > 10)); then
  echo "bench-signature: BENCH_DURATION must be 1-10 seconds" >&2
  exit 2
fi
if ! [[ $rounds =~ ^[0-9]+$ ]] || ((rounds < 1 || rounds > 5)); then
  echo "bench-signature: BENCH_ROUNDS must be 1-5" >&2
  exit 2
fi
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || {
    echo "bench-signature: $tool is missing (wrk: apt-get install -y wrk)" >&2
    exit 2
  }
done

target=${CARGO_TARGET_DIR:-$root/target}
echo "bench-signature: building lms-zoom-local (release)" >&2
cargo build --release --quiet --bin lms-zoom-local
binary="$target/release/lms-zoom-local"

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
  echo "bench-signature: the server did not start" >&2
  exit 1
}

# The emulator's demo credentials, as the server printed them.
demo=$(grep -m1 '^demo license:' "$work/stdout")
field() { sed -E "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/" <<<"$demo"; }
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

license=$(curl -sSf -X POST "$base/v1/academies/bench/licenses" -H 'content-type: application/json' \
  -d "{\"name\":\"Bench\",\"accountId\":\"$(field accountId)\",\"clientId\":\"$(field clientId)\",
       \"clientSecret\":\"$(field clientSecret)\",\"sdkKey\":\"benchSdkKey\",\"sdkSecret\":\"benchSdkSecret\",
       \"hostUser\":\"$(field hostUser)\"}" | json licenseId)
start=$(date -u -d '+1 day' +%Y-%m-%dT%H:00:00Z)
meeting=$(curl -sSf -X POST "$base/v1/academies/bench/meetings" -H 'content-type: application/json' \
  -d "{\"topic\":\"Bench\",\"startTime\":\"$start\",\"durationMinutes\":60,\"licenseId\":\"$license\"}" |
  json meetingId)
signature_path="/v1/academies/bench/meetings/$meeting/signature"
curl -sSf -X POST "$base$signature_path" -H 'content-type: application/json' \
  -d '{"role":"attendee"}' | json signature >/dev/null
echo "bench-signature: license $license, meeting $meeting; $rounds round(s) of ${duration}s per route, $connections connections, $threads wrk thread(s)" >&2

report='done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.0f %.3f %.3f %.3f %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, errors))
end'
printf '%s\n' "$report" >"$work/healthz.lua"
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n%s\n' \
  "'{\"role\":\"attendee\"}'" "$report" >"$work/signature.lua"

run() { # name script path seconds -> "req/s p50 p99 max errors"
  wrk -t"$threads" -c"$connections" -d"$4s" --latency -s "$2" "$base$3" >"$work/$1.out"
  grep '^RESULT' "$work/$1.out" | cut -d' ' -f2-
}

run warmup "$work/signature.lua" "$signature_path" 2 >/dev/null
: >"$work/healthz.results"
: >"$work/signature.results"
for round in $(seq 1 "$rounds"); do
  run healthz "$work/healthz.lua" /healthz "$duration" | tee -a "$work/healthz.results" |
    sed "s/^/bench-signature: round $round healthz   /" >&2
  run signature "$work/signature.lua" "$signature_path" "$duration" | tee -a "$work/signature.results" |
    sed "s/^/bench-signature: round $round signature /" >&2
done
best() { sort -k1,1 -n -r "$1" | head -1; }
read -r h_rps h_p50 h_p99 h_max h_err < <(best "$work/healthz.results")
read -r s_rps s_p50 s_p99 s_max s_err < <(best "$work/signature.results")
errors=$(awk '{ n += $5 } END { print n + 0 }' "$work/healthz.results" "$work/signature.results")

printf '%-34s %10s %9s %9s %9s %7s\n' route req/s p50_ms p99_ms max_ms errors
printf '%-34s %10s %9s %9s %9s %7s\n' "GET /healthz" "$h_rps" "$h_p50" "$h_p99" "$h_max" "$h_err"
printf '%-34s %10s %9s %9s %9s %7s\n' "POST .../signature (attendee)" "$s_rps" "$s_p50" "$s_p99" "$s_max" "$s_err"
python3 -c 'import sys; print("signature/healthz throughput: %.0f %%" % (100 * float(sys.argv[1]) / float(sys.argv[2])))' "$s_rps" "$h_rps"
if [ "$errors" != 0 ]; then
  echo "bench-signature: $errors requests failed (non-2xx or socket errors)" >&2
  exit 1
fi
