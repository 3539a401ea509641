#!/usr/bin/env bash
# Peak memory of archiving one large recording (tests/examples/archive_rss.rs):
# a release build, run on the embedded store and on moto's S3 + SQS, each
# under /usr/bin/time -v. Knobs: ARCHIVE_RSS_MIB (default 1024), BENCH_PROFILE
# (cargo profile, default release; `profiling` builds faster, same optimisation).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
profile=${BENCH_PROFILE:-release}
cargo build --profile "$profile" --locked -p lms-zoom-tests --example archive_rss >&2
binary=${CARGO_TARGET_DIR:-$root/target}/$profile/examples/archive_rss
echo "bench-archive: embedded store" >&2
/usr/bin/time -v "$binary" 2>/tmp/bench-archive-embedded.time
grep -E "Maximum resident|Elapsed" /tmp/bench-archive-embedded.time
export MOTO_PIDFILE=${TMPDIR:-/tmp}/bench-archive-moto.pid
eval "$(infra/scripts/start-moto.sh)"
trap 'kill "$(cat "$MOTO_PIDFILE")" 2>/dev/null || true' EXIT
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
echo "bench-archive: moto S3 + SQS" >&2
ARCHIVE_RSS_STORE=aws /usr/bin/time -v "$binary" 2>/tmp/bench-archive-aws.time
grep -E "Maximum resident|Elapsed" /tmp/bench-archive-aws.time
