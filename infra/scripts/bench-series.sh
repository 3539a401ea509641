#!/usr/bin/env bash
# Class series latency on a release `lms-zoom-local --zoom-emulator`: the time
# of POST /v1/academies/{a}/series (one Zoom recurring meeting, every
# occurrence booked in one transaction, committed in batches) for series of
# 24 and 50 occurrences, next to the same classes created one meeting at a
# time, as the LMS had to before. Each series lies in weeks of its own, so
# none conflicts and each reads a schedule of the same size.
#
# Store: embedded (a temporary --data-dir) by default; BENCH_STORE=aws uses
# DynamoDB at AWS_ENDPOINT_URL (e.g. moto: eval "$(infra/scripts/start-moto.sh)"
# with AWS_* test credentials exported), a fresh table per run.
# Knobs: BENCH_SERIES (series per size, default 10), BENCH_PROFILE (cargo
# profile, default release), BENCH_BINARY (a built lms-zoom-local to run).
# Needs curl and python3. Prints p50 / p95 / max in milliseconds.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

count=${BENCH_SERIES:-10}
store=${BENCH_STORE:-embedded}
if ! [[ $count =~ ^[0-9]+$ ]] || ((count < 1 || count > 100)); then
  echo "bench-series: BENCH_SERIES must be 1-100" >&2
  exit 2
fi
case $store in
  embedded) store_args=() ;;
  aws)
    [ -n "${AWS_ENDPOINT_URL:-}" ] || {
      echo "bench-series: BENCH_STORE=aws needs AWS_ENDPOINT_URL (moto)" >&2
      exit 2
    }
    store_args=(--store aws)
    export TABLE_NAME="lmsz-bench-series-$RANDOM$RANDOM"
    ;;
  *)
    echo "bench-series: BENCH_STORE is embedded or aws" >&2
    exit 2
    ;;
esac

target=${CARGO_TARGET_DIR:-$root/target}
profile=${BENCH_PROFILE:-release}
if [ -n "${BENCH_BINARY:-}" ]; then
  binary=$BENCH_BINARY
else
  echo "bench-series: building lms-zoom-local ($profile)" >&2
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
env -u LMS_ZOOM_API_TOKEN RUST_LOG="${RUST_LOG:-warn}" "$binary" --zoom-emulator "${store_args[@]}" \
  --listen "127.0.0.1:$port" --data-dir "$work/data" >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q '^listening on ' "$work/stdout" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || {
    cat "$work/server.log" >&2
    exit 1
  }
  sleep 0.1
done
grep -q '^listening on ' "$work/stdout" || {
  echo "bench-series: the server did not start" >&2
  exit 1
}

demo=$(grep -m1 '^demo license:' "$work/stdout")
field() { sed -E "s/.*[[:space:]]$1=([^[:space:]]+).*/\1/" <<<"$demo"; }
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
license=$(curl -sSf -X POST "$base/v1/academies/bench/licenses" -H 'content-type: application/json' \
  -d "{\"name\":\"Bench\",\"accountId\":\"$(field accountId)\",\"clientId\":\"$(field clientId)\",
       \"clientSecret\":\"$(field clientSecret)\",\"sdkKey\":\"benchSdkKey\",\"sdkSecret\":\"benchSdkSecret\",
       \"webhookSecretToken\":\"benchWebhook\",\"hostUser\":\"$(field hostUser)\"}" | json licenseId)

# Times in ms of each request, one per line, into $1; fails on any non-201.
timed() { # file method path body
  local out
  out=$(curl -sS -o "$work/body" -w '%{http_code} %{time_total}' -X "$2" "$base$3" \
    -H 'content-type: application/json' -d "$4")
  [ "${out%% *}" = 201 ] || {
    echo "bench-series: $3 answered ${out%% *}: $(cat "$work/body")" >&2
    tail -20 "$work/server.log" >&2
    exit 1
  }
  python3 -c 'import sys; print(round(float(sys.argv[1]) * 1000, 2))' "${out#* }" >>"$1"
}

stats() { # label file
  python3 - "$1" "$2" <<'PY'
import sys
label, path = sys.argv[1], sys.argv[2]
xs = sorted(float(l) for l in open(path) if l.strip())
p = lambda q: xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]
print(f"| {label} | {len(xs)} | {p(0.5):.1f} | {p(0.95):.1f} | {xs[-1]:.1f} |")
PY
}

echo "bench-series: store $store, license $license, $count series per size" >&2
echo "| request | n | p50 ms | p95 ms | max ms |"
echo "|---|---|---|---|---|"
block=0
for size in 24 50; do
  : >"$work/series-$size"
  for _ in $(seq 1 "$count"); do
    block=$((block + 1))
    # Daily classes, each series in a 60-day block of its own.
    start=$(date -u -d "2031-01-01 +$((block * 60)) days" +%Y-%m-%dT18:00:00Z)
    timed "$work/series-$size" POST /v1/academies/bench/series \
      "{\"topic\":\"Bench $size\",\"startTime\":\"$start\",\"durationMinutes\":60,\"licenseId\":\"$license\",
        \"recurrence\":{\"type\":\"daily\",\"endTimes\":$size}}"
  done
  stats "series of $size occurrences" "$work/series-$size"
done
# The same 24 classes as single meetings: what a course cost before series.
: >"$work/singles"
block=$((block + 1))
for day in $(seq 0 23); do
  start=$(date -u -d "2031-01-01 +$((block * 60 + day)) days" +%Y-%m-%dT18:00:00Z)
  timed "$work/singles" POST /v1/academies/bench/meetings \
    "{\"topic\":\"Bench single\",\"startTime\":\"$start\",\"durationMinutes\":60,\"licenseId\":\"$license\"}"
done
stats "single meeting (one class)" "$work/singles"
python3 - "$work/singles" <<'PY'
import sys
xs = [float(l) for l in open(sys.argv[1]) if l.strip()]
print(f"| 24 single meetings, in turn (total) | 1 | {sum(xs):.1f} | | |")
PY
