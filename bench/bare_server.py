"""The floor for cold start: a bare MCPServer with one tool, started over stdio."""

from mcp.server import MCPServer

server = MCPServer("bare")


@server.tool()
def echo(text: str) -> str:
    """Echo."""
    return text


if __name__ == "__main__":
    import anyio

    anyio.run(server.run_stdio_async)
