#!/usr/bin/env bash
# Cold start of each Lambda function binary (licenses, meetings, sdk-signature,
# zoom-webhooks, recording-archiver), release build, on this machine: exec against a local stand-in
# of the Lambda Runtime API (infra/scripts/bench_coldstart.py) with the
# environment Lambda sets and template.yaml's variables, AWS played by a moto
# server, first request a realistic API Gateway HTTP API (payload 2.0) event
# that makes real DynamoDB / Secrets Manager calls (for the archiver, an SQS
# event of one job, which reads its file's state from DynamoDB). Prints, per function:
#   init      exec -> first GET /runtime/invocation/next (median, p90)
#   invoke    event handed out -> response posted (median, p90)
#   rss       peak RSS (VmHWM) once the first invocation is done (median)
#   size      release binary size, x86_64 and arm64 (cargo lambda --arm64)
#
# Knobs: BENCH_RUNS (cold starts per function, default 20, 1-200),
# BENCH_ARM64 (1 = build arm64 with cargo-lambda for its size, default 1;
# 0 = skip, reported as "skipped"), BENCH_JSON (also keep the raw figures there).
# Needs python3 (moto and cargo-lambda go into .venv-moto and
# .venv-cargo-lambda on first use; cargo-lambda brings zig) and the
# aarch64-unknown-linux-gnu rustup target for arm64.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

runs=${BENCH_RUNS:-20}
arm64=${BENCH_ARM64:-1}
if ! [[ $runs =~ ^[0-9]+$ ]] || ((runs < 1 || runs > 200)); then
  echo "bench-coldstart: BENCH_RUNS must be 1-200" >&2
  exit 2
fi
functions=(licenses meetings sdk-signature zoom-webhooks recording-archiver)
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
target=${CARGO_TARGET_DIR:-$root/target}

work=$(mktemp -d)
export MOTO_PIDFILE="$work/moto.pid" MOTO_LOG="$work/moto.log"
cleanup() {
  if [ -f "$MOTO_PIDFILE" ]; then
    kill "$(cat "$MOTO_PIDFILE")" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "bench-coldstart: building ${functions[*]} (release, x86_64)" >&2
cargo build --release --quiet "${packages[@]}"

eval "$(infra/scripts/start-moto.sh)"
echo "bench-coldstart: moto at $AWS_ENDPOINT_URL; $runs cold start(s) per function" >&2
python=${MOTO_VENV:-$root/.venv-moto}/bin/python
"$python" infra/scripts/bench_coldstart.py --bin-dir "$target/release" --runs "$runs" \
  --out "$work/results.json" --log-dir "$work/logs"
if [ -n "${BENCH_JSON:-}" ]; then cp "$work/results.json" "$BENCH_JSON"; fi

# arm64 after the measurements: its build would compete for the CPU.
arm64_dir=
arm64_note=
if [ "$arm64" = 1 ]; then
  venv=$root/.venv-cargo-lambda
  if ! "$venv/bin/cargo-lambda" lambda --help >/dev/null 2>&1; then
    echo "bench-coldstart: installing cargo-lambda into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==${CARGO_LAMBDA_VERSION:-1.9.2}" >&2 ||
      arm64_note="cargo-lambda could not be installed"
  fi
  if [ -z "$arm64_note" ]; then
    echo "bench-coldstart: building ${functions[*]} (release, arm64, cargo lambda)" >&2
    # No size from an earlier build: cargo lambda writes target/lambda/<fn>/bootstrap anew.
    for f in "${functions[@]}"; do rm -f "$target/lambda/$f/bootstrap"; done
    if PATH="$venv/bin:$PATH" "$venv/bin/cargo-lambda" lambda build --release --arm64 "${packages[@]}" \
      >"$work/arm64-build.log" 2>&1; then
      arm64_dir=$target/lambda
    else
      tail -20 "$work/arm64-build.log" >&2
      arm64_note="cargo lambda build --release --arm64 failed (log above)"
    fi
  fi
else
  arm64_note="skipped (BENCH_ARM64=0)"
fi

"$python" - "$work/results.json" "$target/release" "$arm64_dir" "$arm64_note" "${functions[@]}" <<'EOF'
import json, os, sys

results, x86_dir, arm_dir, arm_note, *functions = sys.argv[1:]
summary = json.load(open(results))["summary"]

def machine(path):
    with open(path, "rb") as f:
        head = f.read(20)
    return {62: "x86_64", 183: "aarch64"}.get(int.from_bytes(head[18:20], "little"), "?")

def size(directory, fn, arch):
    if not directory:
        return "n/a"
    path = os.path.join(directory, fn)
    if arch == "aarch64":
        path = os.path.join(directory, fn, "bootstrap")  # cargo lambda's layout
    if not os.path.isfile(path):
        return "n/a"
    if machine(path) != arch:
        return "not %s" % arch
    return "%.1f" % (os.path.getsize(path) / 2**20)

head = ("function", "init ms", "init p90", "init max", "init CPU ms", "1st inv ms", "inv p90",
        "peak RSS MiB", "RSS max", "x86_64 MiB", "arm64 MiB")
print("%-14s %7s %8s %8s %11s %10s %7s %12s %7s %10s %9s" % head)
for fn in functions:
    s = summary[fn]
    print("%-14s %7.1f %8.1f %8.1f %11.1f %10.1f %7.1f %12.1f %7.1f %10s %9s" % (
        fn, s["init_ms"]["median"], s["init_ms"]["p90"], s["init_ms"]["max"],
        s["init_cpu_ms_median"], s["invoke_ms"]["median"], s["invoke_ms"]["p90"],
        s["peak_rss_mib"]["vmhwm_median"], s["peak_rss_mib"]["vmhwm_max"],
        size(x86_dir, fn, "x86_64"), size(arm_dir, fn, "aarch64")))
runs = summary[functions[0]]["runs"]
print("medians of %d cold starts per function (init CPU: all threads' CPU time at the first poll; "
      "their median run-queue wait then: %s ms)" % (runs, ", ".join(
          "%s %.1f" % (fn, summary[fn]["init_runqueue_wait_ms_median"]) for fn in functions)))
if arm_note:
    print("arm64: " + arm_note)
EOF
