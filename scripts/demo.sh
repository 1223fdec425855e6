#!/usr/bin/env bash
# Quick start, part 1: set up, then watch an MCP client change an assistant through revox-mcp on a local sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/revox-mcp demo
