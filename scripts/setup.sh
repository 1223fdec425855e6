#!/usr/bin/env bash
# Create .venv and install revox-mcp with its test tools into it. Re-installs only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "revox-mcp needs Python >= 3.11 (found: $("$PYTHON" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv with $("$PYTHON" --version)" >&2
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.revox-mcp-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing revox-mcp and its dependencies into .venv" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test]'
    touch "$stamp"
fi
# The PostgreSQL journal's tests (and bench/replicas.py) start a throwaway PostgreSQL server of their own:
# install the server's programs where this machine has none and we may (root, Debian or Ubuntu).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing PostgreSQL's programs (for the PostgreSQL journal's tests)" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "No PostgreSQL programs found: the PostgreSQL journal's tests will be skipped (install postgresql)." >&2
    fi
fi
# The sandbox's POST /voices/preview synthesizes real audio with espeak-ng (and its tests need it): install it
# where it is missing and we may (root, Debian or Ubuntu).
if ! command -v espeak-ng >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing espeak-ng (the sandbox's voice previews)" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null
    else
        echo "No espeak-ng found: the sandbox answers voice previews with an error, and their tests are skipped (install espeak-ng)." >&2
    fi
fi
