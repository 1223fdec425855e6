#!/usr/bin/env bash
# Quick start, part 2: set up, then run every check CI runs: lint, format, schema sync, types (mypy --strict), the
# test suite, and the MCP conformance suite (scripts/conformance.sh; installs Node 22 and the suite into .cache/
# with npm).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/revox-mcp schemas --check
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
exec ./scripts/conformance.sh
