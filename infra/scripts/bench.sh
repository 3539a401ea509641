#!/usr/bin/env bash
# Every benchmark, one after the other, each printing its own table:
#   1. cold start of the four Lambda binaries against a local stand-in of the
#      Lambda Runtime API (infra/scripts/bench-coldstart.sh);
#   2. HTTP throughput and latency on lms-zoom-local, each route next to its
#      /healthz (infra/scripts/bench-http.sh);
#   3. the criterion bench of SDK JWT signing (shared/benches/sdk_jwt.rs).
# Run it on a quiet machine: the figures are only as steady as the machine.
# Needs wrk (`apt-get install -y wrk`), curl and python3; each part says what
# else it installs or needs. Their knobs (BENCH_*) pass through.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

echo "== cold start ==" >&2
infra/scripts/bench-coldstart.sh
echo "== HTTP throughput ==" >&2
infra/scripts/bench-http.sh
echo "== SDK JWT signing (criterion) ==" >&2
cargo bench --quiet -p lms-zoom --bench sdk_jwt -- --warm-up-time 1 --measurement-time 3 2>&1 |
  grep -E '^[a-z_/ ]+time:|^[a-z_]' || true
