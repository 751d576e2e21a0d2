"""The job's journal: an SQLite file recording targets, batches and outcomes, step by step.

Every step is committed before the next one is taken (WAL mode), so a job killed at any point
(``kill -9`` included) leaves a journal that says, per batch, whether it was only planned,
sent (and then, if no answer was recorded, of unknown outcome), accepted with its item id, or
refused with the API's error. Running the same job with the same journal resumes it.

One runner at a time: the journal is locked (an OS lock on ``<journal>.lock``, released by
the OS when the process dies) and a second runner is refused with `JournalBusyError`.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import CdnetworksError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    position INTEGER NOT NULL,
    batch INTEGER,
    state TEXT NOT NULL DEFAULT 'pending',
    message TEXT,
    UNIQUE (kind, target)
);
CREATE INDEX IF NOT EXISTS targets_batch ON targets (batch);
CREATE TABLE IF NOT EXISTS invalid (
    position INTEGER NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, problem TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    state TEXT NOT NULL DEFAULT 'planned',
    size INTEGER NOT NULL,
    item_id TEXT,
    sent_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    message TEXT,
    followed INTEGER NOT NULL DEFAULT 0,
    status_calls INTEGER NOT NULL DEFAULT 0
);
"""

_BATCH_COLUMNS = frozenset({"state", "item_id", "sent_at", "message", "followed", "status_calls"})
#: Batch states, in the order a batch moves through them.
PLANNED, SENT, ACCEPTED, REFUSED, UNKNOWN = "planned", "sent", "accepted", "refused", "unknown"
#: Target states: final ones are what reports show.
PENDING, SUCCESS, FAILURE, SKIPPED, TARGET_UNKNOWN = (
    "pending",
    "success",
    "failure",
    "skipped",
    "unknown",
)
FINAL_STATES = (SUCCESS, FAILURE, SKIPPED, TARGET_UNKNOWN)


class JournalError(CdnetworksError):
    """The journal cannot be used for this job."""


class JournalBusyError(JournalError):
    """Another runner holds the journal."""


class JobMismatchError(JournalError):
    """The journal records a different job (other action, arguments or targets)."""


@dataclass(frozen=True)
class Batch:
    id: int
    state: str
    size: int
    item_id: str | None
    sent_at: float | None
    attempts: int
    followed: bool
    status_calls: int


class _Lock:
    """An exclusive OS lock on a side file; the OS drops it when the holder dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        handle = open(self.path, "a+b")  # noqa: SIM115 - held for the journal's lifetime
        try:
            if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
                import msvcrt

                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Journal:
    """One job's journal file, opened by one runner (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = _Lock(self.path.with_name(self.path.name + ".lock"))
        if not self._lock.acquire():
            raise JournalBusyError(
                f"journal {str(self.path)!r} is in use by another runner (a job resumes only "
                "once the other one has stopped)"
            )
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives the process being killed; only an OS crash may
            # lose the last commits.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._lock.release()
            raise JournalError(f"{str(self.path)!r} is not a usable job journal: {exc}") from exc

    def close(self) -> None:
        try:
            self.db.close()
        finally:
            self._lock.release()

    # --- transactions ---------------------------------------------------------------------

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    # --- meta -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- targets --------------------------------------------------------------------------

    def add_targets(self, rows: list[tuple[str, str, int]]) -> int:
        """Insert ``(kind, target, position)`` rows, ignoring duplicates; returns how many
        were new."""
        before = self.db.total_changes
        self.db.executemany(
            "INSERT OR IGNORE INTO targets (kind, target, position) VALUES (?, ?, ?)", rows
        )
        return self.db.total_changes - before

    def add_invalid(self, rows: list[tuple[int, str, str, str]]) -> None:
        self.db.executemany("INSERT INTO invalid VALUES (?, ?, ?, ?)", rows)

    def invalid(self, limit: int | None = None) -> list[tuple[int, str, str, str]]:
        sql = "SELECT position, kind, target, problem FROM invalid ORDER BY position"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [(int(p), str(k), str(t), str(m)) for p, k, t, m in self.db.execute(sql)]

    def count_invalid(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM invalid").fetchone()[0])

    def counts(self, state: str | None = None) -> dict[str, int]:
        """Targets per kind (in ``state`` only, when given)."""
        sql = "SELECT kind, count(*) FROM targets"
        args: tuple[Any, ...] = ()
        if state is not None:
            sql += " WHERE state = ?"
            args = (state,)
        return {k: int(n) for k, n in self.db.execute(sql + " GROUP BY kind", args)}

    def pending_ids(self, kind: str | None = None, page: int = 5000) -> Iterator[int]:
        """Unplanned pending targets in input order, a page at a time (bounded memory; the
        caller may update the rows it was given)."""
        sql = "SELECT id FROM targets WHERE state = 'pending' AND batch IS NULL AND id > ?"
        if kind is not None:
            sql += " AND kind = ?"
        sql += f" ORDER BY id LIMIT {int(page)}"
        last = 0
        while True:
            args: tuple[Any, ...] = (last,) if kind is None else (last, kind)
            ids = [int(row[0]) for row in self.db.execute(sql, args)]
            yield from ids
            if len(ids) < page:
                return
            last = ids[-1]

    def planned_counts(self) -> dict[str, int]:
        """Targets per kind in batches still to be sent."""
        rows = self.db.execute(
            "SELECT t.kind, count(*) FROM targets t JOIN batches b ON b.id = t.batch "
            "WHERE b.state = 'planned' GROUP BY t.kind"
        )
        return {str(k): int(n) for k, n in rows}

    def skip(self, ids: list[int], message: str) -> None:
        self.db.executemany(
            "UPDATE targets SET state = 'skipped', message = ? WHERE id = ?",
            [(message, i) for i in ids],
        )

    def assign(self, batch: int, ids: list[int]) -> None:
        self.db.executemany("UPDATE targets SET batch = ? WHERE id = ?", [(batch, i) for i in ids])

    def batch_targets(self, batch: int) -> list[tuple[str, str]]:
        """``(kind, target)`` of a batch, in planned order."""
        rows = self.db.execute(
            "SELECT kind, target FROM targets WHERE batch = ? ORDER BY id", (batch,)
        )
        return [(str(k), str(t)) for k, t in rows]

    def finish_batch_targets(
        self, batch: int, state: str, message: str | None, failures: dict[str, str] | None = None
    ) -> None:
        """Give every still-pending target of the batch ``state``; ``failures`` (target ->
        message) end in failure instead."""
        if failures:
            self.db.executemany(
                "UPDATE targets SET state = 'failure', message = ? "
                "WHERE batch = ? AND target = ? AND state = 'pending'",
                [(m, batch, t) for t, m in failures.items()],
            )
        self.db.execute(
            "UPDATE targets SET state = ?, message = ? WHERE batch = ? AND state = 'pending'",
            (state, message, batch),
        )

    def mark_unfinished(self, message: str) -> None:
        """Every target not final yet ends ``unknown`` with ``message`` (its batch kept)."""
        self.db.execute(
            "UPDATE targets SET state = 'unknown', message = ? WHERE state = 'pending'", (message,)
        )

    def reopen_unknown(self) -> None:
        """Targets a previous run left ``unknown`` (their batch not final) are pending again."""
        self.db.execute(
            "UPDATE targets SET state = 'pending', message = NULL WHERE state = 'unknown' AND "
            "(batch IS NULL OR batch IN (SELECT id FROM batches WHERE followed = 0))"
        )

    def summary(self) -> dict[str, int]:
        out = dict.fromkeys(FINAL_STATES, 0)
        for state, n in self.db.execute("SELECT state, count(*) FROM targets GROUP BY state"):
            out[str(state)] = out.get(str(state), 0) + int(n)
        return out

    def results(self) -> Iterator[tuple[str, str, str, str | None, str | None]]:
        """``(target, kind, state, item_id, message)`` of every target, in input order."""
        cursor = self.db.execute(
            "SELECT t.target, t.kind, t.state, b.item_id, t.message FROM targets t "
            "LEFT JOIN batches b ON b.id = t.batch ORDER BY t.id"
        )
        for row in cursor:
            yield (str(row[0]), str(row[1]), str(row[2]), row[3], row[4])

    # --- batches --------------------------------------------------------------------------

    def add_batch(self, size: int) -> int:
        cursor = self.db.execute("INSERT INTO batches (size) VALUES (?)", (size,))
        return int(cursor.lastrowid or 0)

    def batches(self) -> list[Batch]:
        rows = self.db.execute(
            "SELECT id, state, size, item_id, sent_at, attempts, followed, status_calls "
            "FROM batches ORDER BY id"
        )
        return [Batch(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows]

    def batch(self, batch_id: int) -> Batch:
        return next(b for b in self.batches() if b.id == batch_id)

    def set_batch(self, batch_id: int, **values: Any) -> None:
        unknown = set(values) - _BATCH_COLUMNS
        if unknown:
            raise ValueError(f"batches have no column {sorted(unknown)}")
        # Column names from the fixed set above; every value is a bound parameter.
        names = ", ".join(f"{k} = ?" for k in values)
        sql = f"UPDATE batches SET {names} WHERE id = ?"  # noqa: S608
        self.db.execute(sql, (*values.values(), batch_id))

    def mark_sent(self, batch_id: int) -> None:
        self.db.execute(
            "UPDATE batches SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            (time.time(), batch_id),
        )

    def count_status_call(self, batch_id: int) -> None:
        self.db.execute(
            "UPDATE batches SET status_calls = status_calls + 1 WHERE id = ?", (batch_id,)
        )
