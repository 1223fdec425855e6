"""A short run of the load benchmark: concurrent HTTP clients, guarded updates, nothing failed or lost."""

from __future__ import annotations

from bench.load import run_load


def test_concurrent_clients_over_http_lose_no_update() -> None:
    report = run_load(clients=8, seconds=3)
    assert report.failures == []
    assert report.lost_updates == {}
    assert report.outcomes["update"] > 0 and report.outcomes["read"] > 0
