"""SQLite persistence for the sandbox: one row per assistant, the assistant itself as JSON.

Every write runs in one transaction under a lock, so concurrent requests never interleave a
read-modify-write and a crash leaves either the old row or the new one.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from revox_mcp.sqlite_files import connect, create_private, private_side_files, transaction

Row = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assistants (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    data TEXT NOT NULL
)
"""

# Fields a new assistant has before the creator sets them (the API fills in its own defaults too).
NEW_ASSISTANT_DEFAULTS: Row = {
    "type": "standalone",
    "first_sentence_mode": "generated",
    "first_sentence": "",
    "first_sentence_delay_ms": 400,
    "end_of_call_sentence": "",
    "ivr_navigation_enabled": False,
    "max_call_duration_secs": 600,
    "faq_items": [],
    "structured_output_config": [],
    "sms_enabled": False,
    "stt_model": "stt-rt-v5",
    "background_sound": None,
    "background_sound_volume": 0.5,
    "thinking_sound": None,
    "thinking_sound_probability": 0.5,
    "thinking_sound_volume": 0.5,
    "voicemail_message": None,
    "llm_model": {"type": "dedicated-instance", "name": "gpt-4.1"},
    "voice": {"id": "f786b574-daa5-4673-aa0c-cbe3e8534c02", "provider": "cartesia", "model": "sonic-3", "speed": 1.0},
}


def _as_stored(fields: Row) -> Row:
    """What the API adds when it stores fields: FAQ items get an id and their answer-only keys."""
    if isinstance(fields.get("faq_items"), list):
        fields = {
            **fields,
            "faq_items": [
                {"id": f"faq_{uuid.uuid4().hex[:12]}", "needs_human_answer": False, "source": "human", **item}
                for item in fields["faq_items"]
            ],
        }
    return fields


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _next_timestamp(previous: str | None) -> str:
    """Now, but strictly later than `previous`: updated_at is a version stamp and must move on every write."""
    now = datetime.now(UTC)
    if previous:
        floor = datetime.fromisoformat(previous) + timedelta(microseconds=1)
        now = max(now, floor)
    return _iso(now)


class AssistantStore:
    def __init__(self, path: str | Path, organization_id: str) -> None:
        self.organization_id = organization_id
        self.path = Path(path)
        self._lock = threading.Lock()
        create_private(path)
        self._db = connect(path)
        private_side_files(path)
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def get(self, assistant_id: str) -> Row | None:
        with self._lock:
            return self._load(assistant_id)

    def list(self) -> list[Row]:
        with self._lock:
            rows = self._db.execute("SELECT data FROM assistants ORDER BY position").fetchall()
        return [json.loads(data) for (data,) in rows]

    def create(self, fields: Row, *, created_by: Row | None = None, assistant_id: str | None = None) -> Row:
        now = _iso(datetime.now(UTC))
        row: Row = {
            **NEW_ASSISTANT_DEFAULTS,
            **_as_stored(fields),
            "id": assistant_id or str(uuid.uuid4()),
            "organization_id": self.organization_id,
            "created_at": now,
            "updated_at": now,
            "created_by": created_by,
            "pending_faq_count": 0,
            "is_inbound_receptionist": False,
            "is_realestate_assistant": False,
        }
        with self._lock, transaction(self._db):
            (position,) = self._db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM assistants").fetchone()
            self._db.execute(
                "INSERT INTO assistants (id, position, data) VALUES (?, ?, ?)", (row["id"], position, json.dumps(row))
            )
        return row

    def update(self, assistant_id: str, fields: Row) -> Row | None:
        """Top-level partial update: the keys given replace theirs; `id`, `organization_id`, `created_at` stay."""
        with self._lock, transaction(self._db):
            row = self._load(assistant_id)
            if row is None:
                return None
            row.update(_as_stored(fields))
            row["updated_at"] = _next_timestamp(row.get("updated_at"))
            self._db.execute("UPDATE assistants SET data = ? WHERE id = ?", (json.dumps(row), assistant_id))
        return row

    def restamp(self, assistant_id: str, created_at: str, updated_at: str) -> None:
        """Set a stored assistant's times: a seeded history's assistants carry the times of its story."""
        with self._lock, transaction(self._db):
            row = self._load(assistant_id)
            if row is not None:
                row.update(created_at=created_at, updated_at=updated_at)
                self._db.execute("UPDATE assistants SET data = ? WHERE id = ?", (json.dumps(row), assistant_id))

    def delete(self, assistant_id: str) -> bool:
        with self._lock, transaction(self._db):
            return self._db.execute("DELETE FROM assistants WHERE id = ?", (assistant_id,)).rowcount > 0

    def clone(self, assistant_id: str) -> Row | None:
        source = self.get(assistant_id)
        if source is None:
            return None
        fields = {k: v for k, v in source.items() if k not in ("id", "created_at", "updated_at", "organization_id")}
        fields["name"] = f"{source.get('name', 'Assistant')} (Copy)"
        return self.create(fields, created_by=source.get("created_by"))

    def seed_if_empty(self, assistants: Iterable[Row]) -> None:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM assistants").fetchone()
        if not count:
            self._seed(assistants)

    def reset(self, assistants: Iterable[Row]) -> None:
        """Drop everything and seed again: a clean sandbox without a restart."""
        with self._lock, transaction(self._db):
            self._db.execute("DELETE FROM assistants")
        self._seed(assistants)

    def _seed(self, assistants: Iterable[Row]) -> None:
        for seed in assistants:
            fields = {k: v for k, v in seed.items() if k not in ("id", "created_by")}
            self.create(fields, created_by=seed.get("created_by"), assistant_id=seed["id"])

    def _load(self, assistant_id: str) -> Row | None:
        found = self._db.execute("SELECT data FROM assistants WHERE id = ?", (assistant_id,)).fetchone()
        return json.loads(found[0]) if found else None
