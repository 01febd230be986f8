"""The SQLite store (sqlite-utils): people, their exchanges with the bot,
tickets for volunteers, ticket messages and feedback.

This module owns the schema (migrations) and every query; the rest of the
code calls the named functions here. Personal data is kept to the minimum:
a person is an opaque channel id and a language, nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database, Migrations

migrations = Migrations("wegwijs")


@migrations()
def create_tables(db: Database) -> None:
    db["people"].create(
        {"id": int, "channel": str, "external_id": str, "language": str, "created": str},
        pk="id", not_null={"channel", "external_id", "created"},
    )
    db["people"].create_index(["channel", "external_id"], unique=True)
    db["exchanges"].create(
        {"id": int, "person_id": int, "text": str, "language": str, "action": str,
         "entry_id": str, "score": float, "candidates": str, "created": str},
        pk="id", foreign_keys=[("person_id", "people", "id")],
    )
    db["exchanges"].create_index(["person_id"])
    db["tickets"].create(
        {"id": int, "person_id": int, "status": str, "language": str, "topic": str,
         "emergency": int, "claimed_by": str, "created": str, "closed": str, "closing_note": str},
        pk="id", foreign_keys=[("person_id", "people", "id")],
    )
    db["tickets"].create_index(["person_id", "status"])
    db["ticket_messages"].create(
        {"id": int, "ticket_id": int, "sender": str, "text": str, "created": str},
        pk="id", foreign_keys=[("ticket_id", "tickets", "id")],
    )
    db["ticket_messages"].create_index(["ticket_id"])
    db["feedback"].create(
        {"id": int, "person_id": int, "entry_id": str, "helpful": int, "created": str},
        pk="id", foreign_keys=[("person_id", "people", "id")],
    )


@migrations()
def relay_through_telegram(db: Database) -> None:
    """Where each ticket lives in the volunteers' group, and which relayed
    message is which on the other side (so nothing is sent twice or lost)."""
    db["tickets"].add_column("group_id", int)
    db["tickets"].add_column("thread_id", int)
    db["tickets"].add_column("summary_message_id", int)
    db["tickets"].add_column("volunteer_name", str)
    db["tickets"].add_column("reminded", int, not_null_default=0)
    db["ticket_messages"].add_column("kind", str, not_null_default="text")
    db["ticket_messages"].add_column("source_chat_id", int)
    db["ticket_messages"].add_column("source_message_id", int)
    db["ticket_messages"].add_column("delivered_message_id", int)
    db["ticket_messages"].add_column("delivered", int, not_null_default=0)
    db["tickets"].create_index(["group_id", "thread_id"])


@dataclass(frozen=True)
class Person:
    id: int
    language: str | None


@dataclass(frozen=True)
class Ticket:
    id: int
    person_id: int
    status: str
    language: str | None
    topic: str | None
    emergency: bool
    created: str
    group_id: int | None = None
    thread_id: int | None = None
    summary_message_id: int | None = None
    claimed_by: str | None = None
    volunteer_name: str | None = None


@dataclass(frozen=True)
class TicketMessage:
    id: int
    ticket_id: int
    sender: str  # person | volunteer | note
    kind: str  # text | media
    text: str
    source_chat_id: int | None
    source_message_id: int | None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    """All reads and writes of the database, safe to call from several threads."""

    def __init__(self, path: Path | str):
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self.db = Database(connection)
        if path != ":memory:":
            self.db.enable_wal()
            # With WAL, NORMAL survives any crash of the process; only a power cut can undo the last commits.
            self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        self._lock = threading.RLock()
        with self._lock:
            migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    def _rows(self, sql: str, parameters: list) -> list[dict]:
        """Plain SQL for the queries of every message: sqlite-utils' table
        helpers introspect the schema on each call."""
        cursor = self.db.execute(sql, parameters)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    # people

    def person(self, channel: str, external_id: str) -> Person:
        """The person known under ``external_id`` on ``channel``, created on first contact."""
        with self._lock:
            rows = self._rows("select id, language from people where channel = ? and external_id = ?",
                              [channel, external_id])
            if rows:
                return Person(rows[0]["id"], rows[0]["language"])
            cursor = self.db.execute("insert into people (channel, external_id, created) values (?, ?, ?)",
                                     [channel, external_id, _now()])
            return Person(cursor.lastrowid, None)

    def person_exists(self, person_id: int) -> bool:
        with self._lock:
            return bool(self._rows("select 1 from people where id = ?", [person_id]))

    def set_language(self, person_id: int, language: str) -> None:
        with self._lock:
            self.db["people"].update(person_id, {"language": language})

    def forget_person(self, person_id: int) -> None:
        """Delete everything stored about a person."""
        with self._lock, self.db.atomic():
            ticket_ids = [r["id"] for r in self.db["tickets"].rows_where("person_id = ?", [person_id], select="id")]
            for ticket_id in ticket_ids:
                self.db["ticket_messages"].delete_where("ticket_id = ?", [ticket_id])
            for table in ("tickets", "exchanges", "feedback"):
                self.db[table].delete_where("person_id = ?", [person_id])
            self.db["people"].delete_where("id = ?", [person_id])

    # exchanges with the bot

    def record_exchange(self, person_id: int, text: str, language: str | None, action: str,
                        entry_id: str | None, score: float, candidates: list[str]) -> None:
        with self._lock:
            self.db.execute(
                "insert into exchanges (person_id, text, language, action, entry_id, score, candidates, created)"
                " values (?, ?, ?, ?, ?, ?, ?, ?)",
                [person_id, text, language, action, entry_id, score, json.dumps(candidates), _now()])

    def recent_exchanges(self, person_id: int, limit: int = 5) -> list[dict]:
        """The person's last exchanges with the bot, oldest first."""
        with self._lock:
            rows = list(self.db["exchanges"].rows_where(
                "person_id = ?", [person_id], order_by="id desc", limit=limit))
        for row in rows:
            row["candidates"] = json.loads(row["candidates"] or "[]")
        return rows[::-1]

    def record_feedback(self, person_id: int, entry_id: str, helpful: bool) -> None:
        with self._lock:
            self.db["feedback"].insert(
                {"person_id": person_id, "entry_id": entry_id, "helpful": int(helpful), "created": _now()})

    # tickets

    def open_ticket(self, person_id: int, language: str | None, topic: str | None, *, emergency: bool = False) -> Ticket:
        """The person's open ticket, or a new one."""
        with self._lock, self.db.atomic():
            existing = self.open_ticket_of(person_id)
            if existing:
                if emergency and not existing.emergency:
                    self.db["tickets"].update(existing.id, {"emergency": 1})
                return self.open_ticket_of(person_id)
            row_id = self.db["tickets"].insert({
                "person_id": person_id, "status": "open", "language": language, "topic": topic,
                "emergency": int(emergency), "claimed_by": None, "created": _now(),
                "closed": None, "closing_note": None,
            }).last_pk
            return self._ticket(row_id)

    def open_ticket_of(self, person_id: int) -> Ticket | None:
        with self._lock:
            rows = self._rows("select * from tickets where person_id = ? and status = 'open' order by id desc limit 1",
                              [person_id])
        return self._from_row(rows[0]) if rows else None

    def latest_ticket_of(self, person_id: int) -> Ticket | None:
        with self._lock:
            rows = list(self.db["tickets"].rows_where("person_id = ?", [person_id], order_by="id desc", limit=1))
        return self._from_row(rows[0]) if rows else None

    def close_ticket(self, ticket_id: int, note: str | None = None) -> None:
        with self._lock:
            self.db["tickets"].update(ticket_id, {"status": "closed", "closed": _now(), "closing_note": note})

    def add_ticket_message(self, ticket_id: int, sender: str, text: str, *, kind: str = "text",
                           source_chat_id: int | None = None, source_message_id: int | None = None) -> int:
        """Store a message of a ticket before it is passed on; returns its id."""
        with self._lock:
            return self.db["ticket_messages"].insert({
                "ticket_id": ticket_id, "sender": sender, "text": text, "created": _now(), "kind": kind,
                "source_chat_id": source_chat_id, "source_message_id": source_message_id,
                "delivered": int(sender == "note"),
            }).last_pk

    def ticket_messages(self, ticket_id: int) -> list[dict]:
        with self._lock:
            return list(self.db["ticket_messages"].rows_where("ticket_id = ?", [ticket_id], order_by="id"))

    def open_tickets(self) -> list[Ticket]:
        """Open tickets, oldest first: the volunteers' queue."""
        with self._lock:
            return [self._from_row(r) for r in self.db["tickets"].rows_where("status = 'open'", order_by="id")]

    def _ticket(self, ticket_id: int) -> Ticket:
        return self._from_row(self.db["tickets"].get(ticket_id))

    def ticket(self, ticket_id: int) -> Ticket | None:
        with self._lock:
            rows = self._rows("select * from tickets where id = ?", [ticket_id])
        return self._from_row(rows[0]) if rows else None

    def ticket_in_thread(self, group_id: int, thread_id: int) -> Ticket | None:
        """The ticket whose forum topic is ``thread_id`` (or whose summary message it is)."""
        with self._lock:
            rows = list(self.db["tickets"].rows_where(
                "group_id = ? and (thread_id = ? or summary_message_id = ?)", [group_id, thread_id, thread_id],
                order_by="id desc", limit=1))
        return self._from_row(rows[0]) if rows else None

    def ticket_of_relayed_message(self, chat_id: int, message_id: int) -> Ticket | None:
        """The ticket a relayed message belongs to, by its id on either side."""
        with self._lock:
            rows = list(self.db.query(
                "select ticket_id from ticket_messages where (source_chat_id = ? and source_message_id = ?)"
                " or delivered_message_id = ? order by id desc limit 1", [chat_id, message_id, message_id]))
        return self.ticket(rows[0]["ticket_id"]) if rows else None

    def place_ticket(self, ticket_id: int, group_id: int, thread_id: int | None, summary_message_id: int | None) -> None:
        """Record where the ticket lives in the volunteers' group."""
        with self._lock:
            self.db["tickets"].update(ticket_id, {
                "group_id": group_id, "thread_id": thread_id, "summary_message_id": summary_message_id})

    def claim_ticket(self, ticket_id: int, volunteer_id: str | None, name: str | None) -> None:
        """Set (or with None, clear) the volunteer who handles a ticket."""
        with self._lock:
            self.db["tickets"].update(ticket_id, {"claimed_by": volunteer_id, "volunteer_name": name})

    def reopen_ticket(self, ticket_id: int) -> None:
        with self._lock:
            self.db["tickets"].update(ticket_id, {"status": "open", "closed": None, "closing_note": None,
                                                  "reminded": 0})

    def tickets_waiting(self, created_before: str) -> list[Ticket]:
        """Open, unclaimed tickets created before the given time that got no reminder yet."""
        with self._lock:
            rows = self.db["tickets"].rows_where(
                "status = 'open' and claimed_by is null and reminded = 0 and created <= ?", [created_before],
                order_by="id")
            return [self._from_row(r) for r in rows]

    def mark_reminded(self, ticket_id: int) -> None:
        with self._lock:
            self.db["tickets"].update(ticket_id, {"reminded": 1})

    def external_id(self, person_id: int) -> str | None:
        """The person's id on their channel (for Telegram: the private chat to write to)."""
        with self._lock:
            rows = list(self.db["people"].rows_where("id = ?", [person_id], select="external_id"))
        return rows[0]["external_id"] if rows else None

    def undelivered(self, ticket_id: int, sender: str) -> list[TicketMessage]:
        """Messages from ``sender`` not yet passed to the other side, oldest first."""
        with self._lock:
            rows = self.db["ticket_messages"].rows_where(
                "ticket_id = ? and sender = ? and delivered = 0", [ticket_id, sender], order_by="id")
            return [TicketMessage(r["id"], r["ticket_id"], r["sender"], r["kind"], r["text"] or "",
                                  r["source_chat_id"], r["source_message_id"]) for r in rows]

    def mark_delivered(self, message_ids: list[int], delivered_message_id: int | None) -> None:
        with self._lock, self.db.atomic():
            for message_id in message_ids:
                self.db["ticket_messages"].update(
                    message_id, {"delivered": 1, "delivered_message_id": delivered_message_id})

    def tickets_with_undelivered(self) -> list[int]:
        """Tickets with messages still to pass on (after a restart, say)."""
        with self._lock:
            return [r["ticket_id"] for r in self.db.query(
                "select distinct m.ticket_id from ticket_messages m join tickets t on t.id = m.ticket_id"
                " where m.delivered = 0 and m.sender in ('person', 'volunteer') and t.status = 'open'")]

    @staticmethod
    def _from_row(row: dict) -> Ticket:
        return Ticket(row["id"], row["person_id"], row["status"], row["language"], row["topic"],
                      bool(row["emergency"]), row["created"], row.get("group_id"), row.get("thread_id"),
                      row.get("summary_message_id"), row.get("claimed_by"), row.get("volunteer_name"))

    def count_rows(self, person_id: int) -> int:
        """How many rows anywhere belong to a person (for /forget and its tests)."""
        with self._lock:
            total = self.db["people"].count_where("id = ?", [person_id])
            for table in ("exchanges", "tickets", "feedback"):
                total += self.db[table].count_where("person_id = ?", [person_id])
            total += next(self.db.query(
                "select count(*) as n from ticket_messages where ticket_id in (select id from tickets where person_id = ?)",
                [person_id]))["n"]
            return total
