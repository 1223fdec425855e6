#!/usr/bin/env bash
# Has the Revox API moved? Install the newest official SDK (`revox` on PyPI, generated from the API's own
# spec) into a throwaway venv beside revox-mcp, and hold our update model and the sandbox's answers against
# it. Run it when the API grows; a failure names each field, key, type or enum that differs.
# Usage: scripts/check-api-drift.sh [REVOX_VERSION]   (default: the newest release)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e '.[test]'
spec="revox${1:+==$1}"
"$venv/bin/python" -m pip install --quiet --upgrade "$spec"
echo "Checking against $("$venv/bin/python" -m pip show revox | awk '/^Version/ {print "revox " $2}')" >&2
tests=(tests/test_sdk_conformance.py)
[ -f tests/test_sdk_sandbox.py ] && tests+=(tests/test_sdk_sandbox.py)
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "${tests[@]}"
