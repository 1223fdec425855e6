"""revox-mcp: an MCP server that reads and safely updates Revox voice assistants."""

__version__ = "0.1.0"

__all__ = ["__version__"]
