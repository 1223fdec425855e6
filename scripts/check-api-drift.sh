#!/usr/bin/env bash
# Has the Revox API moved? Install the newest official SDK (`revox` on PyPI, generated from the API's own
# spec) into a throwaway venv beside revox-mcp, and hold the whole surface against it: every endpoint a tool
# calls (route, path arguments, the params we send: tests/sdk_surface.py), the update model key by key, every
# SDK docstring a rule relies on (speed ranges, {{phone}}, ...), the voice enums our arguments repeat, the bodies
# the tools really send, and the sandbox's answers (their shapes, and no key the SDK does not declare). Run it
# when the API grows; a failure names each route, field, key, type, enum or docstring that differs.
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
tests=(tests/test_sdk_conformance.py tests/test_sdk_surface.py tests/test_sdk_declared_keys.py)
[ -f tests/test_sdk_sandbox.py ] && tests+=(tests/test_sdk_sandbox.py)
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "${tests[@]}"
