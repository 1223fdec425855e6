"""The `revox-mcp` command: serve (stdio), sandbox, demo, schemas."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from revox_mcp import __version__
from revox_mcp.config import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_CATALOG_TTL_S,
    DEFAULT_HTTP_HOST,
    DEFAULT_HTTP_PORT,
    DEFAULT_MAX_ANSWER_BYTES,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_SESSIONS_PER_PERSON,
    JOURNAL_URL_ENV,
    MAX_ANSWER_BYTES_ENV,
    TOOL_FAMILIES,
    Settings,
    default_state_dir,
    max_answer_bytes,
    timings_from_env,
)
from revox_mcp.schemas import SCHEMA_PROFILES

if TYPE_CHECKING:
    from revox_mcp.policy import Policy

DEFAULT_SANDBOX_PORT = 8787
DEFAULT_LOG_LEVEL = "WARNING"
DEFAULT_SCHEMA_PROFILE = "portable"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="revox-mcp", description="MCP server for Revox voice assistants.")
    parser.add_argument("--version", action="version", version=f"revox-mcp {__version__}")
    commands = parser.add_subparsers(dest="command")
    serve = _add_serve(commands)
    _add_http_options(serve)
    _add_policy_options(serve)
    _add_sandbox(commands)
    commands.add_parser("demo", help="watch an MCP client update an assistant through revox-mcp, on a sandbox")
    _add_schemas(commands)
    return parser


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    serve = commands.add_parser("serve", help="run the MCP server over stdio (the default)")
    serve.add_argument("--api-key", help=f"Revox API key (default: ${API_KEY_ENV})")
    serve.add_argument("--base-url", help=f"Revox API base URL (default: ${BASE_URL_ENV} or the public API)")
    serve.add_argument("--sandbox", action="store_true", help="run against an embedded local sandbox, no account")
    serve.add_argument("--sandbox-db", type=Path, help="sandbox data file (default: in the user state directory)")
    serve.add_argument(
        "--journal",
        help="change journal: a SQLite file (default: in the user state directory), or a postgresql:// URL shared "
        f"by replicas (default: ${JOURNAL_URL_ENV})",
    )
    serve.add_argument("--no-journal", action="store_true", help="keep no change journal (no list_changes/revert)")
    serve.add_argument(
        "--log-level", default=DEFAULT_LOG_LEVEL, help=f"stderr log level (default: {DEFAULT_LOG_LEVEL})"
    )
    serve.add_argument(
        "--schema-profile",
        choices=SCHEMA_PROFILES,
        default=DEFAULT_SCHEMA_PROFILE,
        help="dialect of the published input schemas: portable JSON Schema (default), strict (every property "
        "required, null leaves a field as it is: OpenAI strict function calling), or gemini (OpenAPI 3.0 subset)",
    )
    serve.add_argument(
        "--catalog-ttl", type=float, default=DEFAULT_CATALOG_TTL_S, help="seconds to trust the voice/number catalogs"
    )
    serve.add_argument(
        "--max-answer-bytes",
        type=int,
        help=f"ceiling on every tool answer's text and structured content, each (default: ${MAX_ANSWER_BYTES_ENV} "
        f"or {DEFAULT_MAX_ANSWER_BYTES:,})",
    )
    return serve


def _add_http_options(serve: argparse.ArgumentParser) -> None:
    http = serve.add_argument_group("Streamable HTTP (instead of stdio)")
    http.add_argument("--http", action="store_true", help="serve MCP over Streamable HTTP at /mcp")
    http.add_argument(
        "--host", default=DEFAULT_HTTP_HOST, help=f"address to bind (default: {DEFAULT_HTTP_HOST}, loopback only)"
    )
    http.add_argument(
        "--port", type=int, default=DEFAULT_HTTP_PORT, help=f"port (default: {DEFAULT_HTTP_PORT}; 0 picks a free one)"
    )
    http.add_argument("--stateless", action="store_true", help="no sessions: for several replicas behind a balancer")
    http.add_argument("--allowed-hosts", default="", help="extra Host values to accept, comma-separated (host:port)")
    http.add_argument("--allowed-origins", default="", help="extra Origin values to accept, comma-separated")
    http.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help="largest request body, and over stdio the longest line (default: 1 MiB)",
    )
    http.add_argument(
        "--sessions-per-person",
        type=int,
        default=DEFAULT_SESSIONS_PER_PERSON,
        help="sessions one person of --tokens may hold open; past it their oldest closes "
        f"(default: {DEFAULT_SESSIONS_PER_PERSON})",
    )
    http.add_argument(
        "--tokens",
        type=Path,
        help="one token per person: a file of 'name token [read-only]' lines ($REVOX_MCP_TOKENS_FILE)",
    )


def _add_policy_options(serve: argparse.ArgumentParser) -> None:
    policy = serve.add_argument_group("operator policy (also REVOX_MCP_* variables and a TOML file; see README)")
    policy.add_argument("--policy", type=Path, help="TOML policy file (default: $REVOX_MCP_POLICY)")
    policy.add_argument("--read-only", action="store_true", help="offer only the read tools")
    policy.add_argument(
        "--tools",
        metavar="FAMILIES",
        help=f"comma-separated tool families to offer, of {','.join(TOOL_FAMILIES)} (default: all)",
    )
    policy.add_argument(
        "--deny-fields", help="comma-separated fields agents may not change (@sensitive: the risky ones)"
    )
    policy.add_argument("--allow-fields", help="comma-separated fields agents may change; all others are denied")
    policy.add_argument(
        "--limit", action="append", default=[], help="a value limit such as max_call_duration_secs<=900"
    )
    policy.add_argument(
        "--test-numbers",
        help="comma-separated E.164 numbers agents may place test calls to (place_test_call); none: no test calls",
    )
    policy.add_argument(
        "--extra-fields",
        help="comma-separated update fields the API added after this release, which agents may then set as given",
    )


def _add_sandbox(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = commands.add_parser("sandbox", help="run the local Revox API sandbox on 127.0.0.1")
    sandbox.add_argument("--port", type=int, default=DEFAULT_SANDBOX_PORT, help="port (0 picks a free one)")
    sandbox.add_argument("--db", type=Path, help="SQLite file (default: in the user state directory)")
    sandbox.add_argument("--key", help="API key the sandbox accepts (default: a new random one, printed)")
    sandbox.add_argument(
        "--fault",
        action="append",
        default=[],
        help='inject a fault, as JSON: {"method": "PATCH", "path": "/assistants/*", "status": 503, "times": 2} '
        "(also retry_after headers, delay_s, drop, apply; see README)",
    )
    sandbox.add_argument(
        "--tuning-history",
        action="store_true",
        help="add the reminder's calls around two changes with known outcome rates, to try change_impact on",
    )
    sandbox.add_argument(
        "--ab-pair",
        action="store_true",
        help="add a copy of the sales qualifier and both one's calls over one week, to try compare_assistants on",
    )


def _add_schemas(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schemas = commands.add_parser("schemas", help="print, write or check the published tool schemas")
    mode = schemas.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="regenerate the files")
    mode.add_argument("--check", action="store_true", help="exit 1 when the files differ from the models")
    schemas.add_argument("--dir", type=Path, help="folder of the files (default: the checkout's tool_schemas/)")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "serve"
    if command == "serve":
        return _serve(args if args.command else _parser().parse_args(["serve"]))
    if command == "sandbox":
        return _sandbox(args)
    if command == "demo":
        from revox_mcp.demo import run_demo

        return run_demo()
    return _schemas(args)


def private_state_dir(folder: Path, state_dir: Path) -> None:
    """Create the data folder for the owner only; our own state folder is made private even if an older
    version created it world-readable (a folder the user named is left as it is)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.resolve() == state_dir.resolve():
        folder.chmod(0o700)


def configure_logging(level: str) -> None:
    """stderr shows revox-mcp's records at `level` and above. Third-party loggers stay at WARNING: at DEBUG
    some log whole messages (sse-starlette every response chunk, the SDK every JSON-RPC message). The
    package's records are all created, because an MCP client may ask for its own requests' records down to
    debug (logging/setLevel), whatever stderr shows."""
    from revox_mcp.client_logs import CappedFormatter

    console = logging.StreamHandler(sys.stderr)
    console.setLevel(level.upper())
    # Every line cut to a stated size: a 60 MB argument must not become a 60 MB log line.
    console.setFormatter(CappedFormatter("revox-mcp %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[console])
    logging.getLogger("revox_mcp").setLevel(logging.DEBUG)


def _serve(args: argparse.Namespace) -> int:
    import anyio

    from revox_mcp.errors import ConfigError
    from revox_mcp.sandbox import SandboxServer
    from revox_mcp.server import run_stdio
    from revox_mcp.stdio_transport import StdioLimits

    configure_logging(args.log_level)
    try:
        policy = _policy(args)
        journal_url, journal_file = _journal_target(args)
        timings = timings_from_env(os.environ)
        ceiling = max_answer_bytes(os.environ, args.max_answer_bytes)
    except (ConfigError, ValueError) as exc:
        print(f"revox-mcp: {exc}", file=sys.stderr)
        return 2
    problem = (_token_problem(args) if args.http else None) or (_journal_problem(journal_url) if journal_url else None)
    if problem:
        print(f"revox-mcp: {problem}", file=sys.stderr)
        return 2
    state_dir = default_state_dir()
    with contextlib.ExitStack() as stack:
        if args.sandbox:
            db = args.sandbox_db or state_dir / "sandbox.db"
            private_state_dir(db.parent, state_dir)
            sandbox = stack.enter_context(SandboxServer(db))
            print(f"revox-mcp: using the local sandbox at {sandbox.url} (data in {db})", file=sys.stderr)
            settings = Settings(
                api_key=sandbox.api_key,
                base_url=sandbox.url,
                journal_path=None if args.no_journal else journal_file or db.with_name(db.stem + ".journal.db"),
                journal_url=journal_url,
                # The sandbox's port changes on every start; its data file is what identifies it.
                journal_scope=f"sandbox:{db.resolve()}",
                catalog_ttl_s=args.catalog_ttl,
                **timings,
                max_answer_bytes=ceiling,
            )
        else:
            journal = None if args.no_journal or journal_url else journal_file or state_dir / "journal.db"
            settings = Settings.from_env(api_key=args.api_key, base_url=args.base_url, journal_path=journal)
            settings = dataclasses.replace(
                settings, catalog_ttl_s=args.catalog_ttl, journal_url=journal_url, max_answer_bytes=ceiling
            )
            if not settings.api_key:
                hint = f"Set {API_KEY_ENV} (or pass --api-key), or add --sandbox to try it locally."
                print(f"revox-mcp: no API key. {hint}", file=sys.stderr)
                return 2
            if journal is not None:
                private_state_dir(journal.parent, state_dir)
        if args.http:
            return _serve_http(args, settings, policy)
        limits = StdioLimits.from_env(max_line_bytes=args.max_body_bytes)
        anyio.run(run_stdio, settings, policy, args.schema_profile, limits)
    return 0


def _policy(args: argparse.Namespace) -> Policy:
    """The operator's policy from the flags and the policy file; a ConfigError names what is wrong."""
    from revox_mcp.policy import Policy
    from revox_mcp.schemas import body_schema

    policy = Policy.load(
        file=args.policy,
        read_only=args.read_only,
        deny=args.deny_fields,
        allow=args.allow_fields,
        limits=args.limit,
        extra_fields=args.extra_fields,
        test_numbers=args.test_numbers,
        tools=args.tools,
    )
    if not policy.is_default:
        # Generating the body schema costs start-up time; only a policy that names fields needs it.
        policy.validate_paths(body_schema())
    return policy


def _journal_target(args: argparse.Namespace) -> tuple[str | None, Path | None]:
    """(a PostgreSQL URL, a SQLite file) from --journal or $REVOX_MCP_JOURNAL_URL; both None with --no-journal."""
    from revox_mcp.errors import ConfigError

    if args.no_journal:
        return None, None
    chosen = args.journal or os.environ.get(JOURNAL_URL_ENV) or None
    if not chosen:
        return None, None
    source = "--journal" if args.journal else JOURNAL_URL_ENV
    scheme, sep, rest = chosen.partition("://")
    if sep and scheme.lower() in ("postgresql", "postgres"):
        return f"postgresql://{rest}", None  # libpq reads the scheme in lower case only
    # Never echoed: what was given may hold a password.
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme):
        hint = " (drop SQLAlchemy's '+driver')" if scheme.lower().startswith("postgres") else ""
        raise ConfigError(f"{source} is a {scheme.lower()}:// URL; the journal takes a postgresql:// URL{hint}.")
    if _is_conninfo(chosen):
        raise ConfigError(
            f"{source} is a 'key=value' connection string; write it as a postgresql://user:password@host/db URL."
        )
    if not args.journal:
        raise ConfigError(f"{JOURNAL_URL_ENV} is not a postgresql:// URL; for a SQLite file use --journal FILE.")
    return None, Path(args.journal)


def _is_conninfo(text: str) -> bool:
    """A libpq 'host=… dbname=…' string, which must not be taken for a file name."""
    if "=" not in text:
        return False
    from psycopg import Error
    from psycopg.conninfo import conninfo_to_dict

    try:
        return bool({"host", "hostaddr", "dbname", "user", "password", "port", "service"} & set(conninfo_to_dict(text)))
    except Error:
        return False


def _journal_problem(url: str) -> str | None:
    """None when the PostgreSQL journal can be reached (its tables created or migrated); else one line."""
    import anyio

    from revox_mcp.errors import ConfigError
    from revox_mcp.journal.postgres import check, shown_url

    try:
        anyio.run(check, url)
    except ConfigError as exc:
        return str(exc)
    print(f"revox-mcp: change journal on PostgreSQL at {shown_url(url)}", file=sys.stderr)
    return None


def _token_problem(args: argparse.Namespace) -> str | None:
    from revox_mcp.actors import TOKENS_FILE_ENV
    from revox_mcp.http_transport import MIN_TOKEN_CHARS, TOKEN_ENV

    chosen = os.environ.get(TOKEN_ENV)
    if chosen and (args.tokens or os.environ.get(TOKENS_FILE_ENV)):
        # A shared token beside the people's would write unattributed and past read-only: one way only.
        given = "--tokens" if args.tokens else f"${TOKENS_FILE_ENV}"
        return (
            f"{TOKEN_ENV} and a tokens file ({given}) are both set: use one way to authenticate. Unset "
            f"{TOKEN_ENV} to give each person their own token from the file, or remove {given} to use one shared token."
        )
    if chosen and len(chosen) < MIN_TOKEN_CHARS:
        return (
            f"{TOKEN_ENV} is {len(chosen)} characters; use at least {MIN_TOKEN_CHARS} random ones (or unset it to "
            "get a generated token)."
        )
    if chosen and (chosen != chosen.strip() or any(c.isspace() or not c.isprintable() for c in chosen)):
        # A header cannot carry it as written, so no client could ever authenticate.
        return f"{TOKEN_ENV} holds spaces or control characters; use printable characters only (e.g. a generated one)."
    return None


def _serve_http(args: argparse.Namespace, settings: Settings, policy: Any) -> int:
    from revox_mcp.errors import ConfigError
    from revox_mcp.http_transport import MCP_PATH, TOKEN_ENV, HttpLimits, HttpOptions, build_http_app, new_token
    from revox_mcp.serving import AppServer, is_loopback

    try:
        actors = _actors(args)
    except ConfigError as exc:
        print(f"revox-mcp: {exc}", file=sys.stderr)
        return 2
    token = os.environ.get(TOKEN_ENV) or (None if actors else new_token())
    options = HttpOptions(
        actors=actors,
        token=token,
        host=args.host,
        port=args.port,
        stateless=args.stateless,
        allowed_hosts=[h for h in args.allowed_hosts.split(",") if h],
        allowed_origins=[o for o in args.allowed_origins.split(",") if o],
        max_body_bytes=args.max_body_bytes,
        limits=HttpLimits(sessions_per_person=max(1, args.sessions_per_person)),
    )
    server = AppServer(host=options.host, port=options.port, uvicorn_options=options.limits.uvicorn_options())
    server.app = build_http_app(settings, policy, options, server.port, args.schema_profile)
    print(f"revox-mcp: MCP over Streamable HTTP at {server.url}{MCP_PATH}", file=sys.stderr)
    if actors:
        print(
            f"revox-mcp: {len(actors)} person(s) from the tokens file: {', '.join(a.name for a in actors)}",
            file=sys.stderr,
        )
    elif not os.environ.get(TOKEN_ENV):
        print(f"revox-mcp: bearer token (set {TOKEN_ENV} to choose one): {token}", file=sys.stderr)
    if not is_loopback(options.host):
        print(
            f"revox-mcp: warning: bound to {options.host}, reachable from other machines. Keep the token secret "
            "and put a TLS proxy in front.",
            file=sys.stderr,
        )
    sys.stderr.flush()
    server.serve_forever()
    return 0


def _actors(args: argparse.Namespace) -> tuple[Any, ...]:
    """The people of the tokens file (--tokens or $REVOX_MCP_TOKENS_FILE), warning when others may read it."""
    from revox_mcp.actors import TOKENS_FILE_ENV, exposure_warning, load_tokens

    tokens_file = args.tokens or (Path(os.environ[TOKENS_FILE_ENV]) if os.environ.get(TOKENS_FILE_ENV) else None)
    if tokens_file is None:
        return ()
    actors = load_tokens(tokens_file)
    exposed = exposure_warning(tokens_file)
    if exposed:
        print(f"revox-mcp: {exposed}", file=sys.stderr)
    return actors


def _sandbox(args: argparse.Namespace) -> int:
    from revox_mcp.sandbox import SandboxServer

    db = args.db or default_state_dir() / "sandbox.db"
    private_state_dir(db.parent, default_state_dir())
    sandbox = SandboxServer(
        db, api_key=args.key, port=args.port, tuning_history=args.tuning_history, ab_pair=args.ab_pair
    )
    for text in args.fault:
        try:
            sandbox.add_fault(json.loads(text))
        except (ValueError, TypeError) as exc:
            print(f"revox-mcp: bad --fault {text!r}: {exc}", file=sys.stderr)
            return 2
    print(f"Revox sandbox on {sandbox.url} (data in {db})")
    print(f"  export {BASE_URL_ENV}={sandbox.url}")
    print(f"  export {API_KEY_ENV}={sandbox.api_key}")
    print("Ctrl-C stops it.", flush=True)
    sandbox.serve_forever()
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from revox_mcp import schema_files, schema_sync

    directory = args.dir or schema_files.DEFAULT_SCHEMA_DIR
    if args.write:
        for line in schema_sync.write(directory) or [f"{directory}: already in sync"]:
            print(line)
        return 0
    if args.check:
        problems = schema_sync.check(directory)
        for line in problems:
            print(line, file=sys.stderr)
        print(schema_sync.diffs(directory), end="", file=sys.stderr)
        if problems:
            print("Run `revox-mcp schemas --write` and commit the result.", file=sys.stderr)
            return 1
        print(f"{directory}: in sync")
        return 0
    for name, text in schema_sync.rendered().items():
        print(f"== {name}\n{text}")
    return 0
