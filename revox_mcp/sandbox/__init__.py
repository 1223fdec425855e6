"""A local stand-in for the Revox assistants API: real HTTP on loopback, real SQLite persistence."""

from revox_mcp.sandbox.runner import SandboxServer

__all__ = ["SandboxServer"]
