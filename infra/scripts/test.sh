#!/usr/bin/env bash
# The one test command: starts a real moto server (DynamoDB + Secrets Manager),
# runs every test of the workspace against it and the embedded store, stops it.
# Extra arguments go to `cargo test` (e.g. a test name filter).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

export MOTO_PIDFILE="$root/target/moto.pid"
stop_moto() {
  if [ -f "$MOTO_PIDFILE" ]; then
    kill "$(cat "$MOTO_PIDFILE")" 2>/dev/null || true
    rm -f "$MOTO_PIDFILE"
  fi
}
trap stop_moto EXIT

eval "$(infra/scripts/start-moto.sh)"
echo "test.sh: moto is up at $AWS_ENDPOINT_URL" >&2

export AWS_ENDPOINT_URL
# Tests that must stop a store start their own moto with these.
export LMS_ZOOM_MOTO_PYTHON="${MOTO_VENV:-$root/.venv-moto}/bin/python"
export LMS_ZOOM_MOTO_SERVER="$root/infra/scripts/moto_serial.py"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE

cargo test --workspace "$@"
