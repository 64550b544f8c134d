#!/usr/bin/env bash
# One command from a fresh clone to a running daemon: system packages, npm packages, build, run.
# Extra arguments go to jami-linkd (e.g. --log-pretty, --bootstrap none).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
exec node dist/app/jami-linkd.cjs "$@"
