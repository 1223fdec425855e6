#!/usr/bin/env bash
# Quick start, part 2: set up, then run every check CI runs: lint, format, schema sync, the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/revox-mcp schemas --check
exec .venv/bin/python -m pytest "$@"
