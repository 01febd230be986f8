"""The SQLite store (sqlite-utils): people, their exchanges with the bot,
tickets for volunteers, ticket messages, feedback, and the updates received.

This module owns the schema (migrations) and every query; the rest of the
code calls the named functions here. Personal data is kept to the minimum:
a person is an opaque channel id and a language, nothing else. Question
texts are scrubbed of phone numbers, e-mail addresses, national register
numbers and IBANs before they are stored; ``apply_retention`` deletes what
is older than the configured number of days.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database, Migrations

from bot.people.scrub import scrub

migrations = Migrations("wegwijs")
# Telegram offers an unconfirmed update again for at most a day.
UPDATE_MEMORY = dt.timedelta(days=2)


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


@migrations()
def privacy_and_exactly_once(db: Database) -> None:
    """The question behind a 👎 (scrubbed) for the report; when a volunteer
    first answered; and the updates received, so that an update Telegram
    delivers twice (after a crash) is handled once."""
    db["feedback"].add_column("question", str)
    db["tickets"].add_column("first_answer", str)
    db["ticket_messages"].add_column("update_id", int)
    db["ticket_messages"].create_index(["update_id"], unique=True)
    db["updates"].create({"update_id": int, "body": str, "handled": int, "received": str}, pk="update_id",
                         not_null={"handled", "received"}, defaults={"handled": 0})


@migrations()
def copies_erasures_and_outbox(db: Database) -> None:
    """Every message a relayed message became, with its chat: message ids
    are counted per chat, so an id alone names nothing, and a long message
    becomes several. What is still to be deleted from a volunteers' group.
    And answers kept until Telegram accepted them (emergencies)."""
    db.execute(
        "create temp table known_copies as"
        " select m.id as ticket_message_id,"
        " case when m.sender = 'person' then t.group_id else cast(p.external_id as integer) end as chat_id,"
        " m.delivered_message_id as message_id from ticket_messages m join tickets t on t.id = m.ticket_id"
        " left join people p on p.id = t.person_id where m.delivered_message_id is not null")
    db["ticket_messages"].transform(drop={"delivered_message_id"})
    db["relayed_copies"].create({"ticket_message_id": int, "chat_id": int, "message_id": int},
                                foreign_keys=[("ticket_message_id", "ticket_messages", "id")])
    db["relayed_copies"].create_index(["chat_id", "message_id"], unique=True)
    db["relayed_copies"].create_index(["ticket_message_id"])
    db.execute("insert or ignore into relayed_copies select * from known_copies where chat_id is not null")
    db.execute("drop table known_copies")
    db["erasures"].create({"id": int, "chat_id": int, "thread_id": int, "message_id": int, "created": str},
                          pk="id", not_null={"chat_id", "created"})
    db["outbox"].create({"id": int, "person_id": int, "chat_id": int, "update_id": int, "parts": str,
                         "sent": int, "created": str}, pk="id", not_null={"chat_id", "parts", "created"},
                        defaults={"sent": 0}, foreign_keys=[("person_id", "people", "id")])
    db["outbox"].create_index(["update_id"], unique=True)


@migrations()
def emergency_kind(db: Database) -> None:
    """The kind of danger of an emergency ticket (suicide, poisoning, …), named in its topic."""
    db["tickets"].add_column("emergency_kind", str)


# ticket_messages.delivered: waiting, passed on, or refused for good by Telegram (the sender was told).
PENDING, DELIVERED, REFUSED = 0, 1, 2
# Names and usernames are not kept in stored updates: handling needs ids and texts only.
_NAME_FIELDS = ("last_name", "username", "phone_number")


class StoreError(Exception):
    """The database file cannot be used (corrupt, locked, not a database); the message says what to do."""


@dataclass(frozen=True)
class Source:
    """Where a relayed message came from on its channel, and the update that
    brought it: a redelivered update adds nothing twice."""

    chat_id: int
    message_id: int
    update_id: int | None = None


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
    emergency_kind: str | None = None


@dataclass(frozen=True)
class TicketMessage:
    id: int
    ticket_id: int
    sender: str  # person | volunteer | note
    kind: str  # text | media
    text: str
    source_chat_id: int | None
    source_message_id: int | None
    copies: int = 0  # messages it already became on the other side


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Store:
    """All reads and writes of the database, safe to call from several threads."""

    def __init__(self, path: Path | str, *, busy_seconds: float = 5.0):
        """Open (or create) the database and its directory; raise StoreError
        when the file is corrupt, not a database, held by another process or
        not writable, or when the directory cannot be created."""
        if path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(_explain(path, error)) from None
        self._lock = threading.RLock()
        connection = None
        try:
            connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                                         timeout=busy_seconds)
            self.db = Database(connection)
            self._open(path != ":memory:")
            # A file SQLite may only read opens, and in WAL mode even BEGIN IMMEDIATE passes on it: only
            # an attempted write tells, now rather than at the first message. It is rolled back.
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
        except sqlite3.DatabaseError as error:
            if connection is not None:
                connection.close()
            raise StoreError(_explain(path, error)) from None

    def _open(self, on_disk: bool) -> None:
        if on_disk:
            self.db.enable_wal()
            # With WAL, NORMAL survives any crash of the process; only a power cut can undo the last commits.
            self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten, not left in free pages: /forget and retention must really remove them.
        self.db.execute("PRAGMA secure_delete = ON")
        damage = [row[0] for row in self.db.execute("PRAGMA quick_check").fetchall()]
        if damage != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(damage[:3]))
        with self._lock:
            migrations.apply(self.db)
            # A write at start: a file another process holds fails now, not at the first message.
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("COMMIT")

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

    def placed_tickets(self, person_id: int) -> list[Ticket]:
        """The person's tickets that have a place in a volunteers' group."""
        with self._lock:
            return [self._from_row(row) for row in self._rows(
                "select * from tickets where person_id = ? and group_id is not null order by id", [person_id])]

    def forget_person(self, person_id: int) -> None:
        """Delete everything stored about a person. What the bot posted about
        them in volunteers' groups is queued for deletion there (``pending_erasures``)."""
        tickets_of_person = "select id from tickets where person_id = ?"
        with self._lock:
            with self.db.atomic():
                self._queue_erasures(tickets_of_person, [person_id])
                self._delete_ticket_messages(tickets_of_person, [person_id])
                for table in ("tickets", "exchanges", "feedback", "outbox"):
                    self.db[table].delete_where("person_id = ?", [person_id])
                self.db["people"].delete_where("id = ?", [person_id])
            self._checkpoint()

    def _queue_erasures(self, tickets_sql: str, parameters: list) -> None:
        """Queue the deletion of the group traces of the tickets ``tickets_sql``
        selects: a ticket's forum topic, or (without topics) its summary and
        every message the bot posted there for the person."""
        now = _now()
        self.db.execute(
            "insert into erasures (chat_id, thread_id, created) select group_id, thread_id, ? from tickets"
            f" where id in ({tickets_sql}) and group_id is not null and thread_id is not null", [now, *parameters])
        self.db.execute(
            "insert into erasures (chat_id, message_id, created) select group_id, summary_message_id, ? from tickets"
            f" where id in ({tickets_sql}) and thread_id is null and summary_message_id is not null",
            [now, *parameters])
        self.db.execute(
            "insert into erasures (chat_id, message_id, created) select c.chat_id, c.message_id, ?"
            " from relayed_copies c join ticket_messages m on m.id = c.ticket_message_id"
            " join tickets t on t.id = m.ticket_id"
            f" where t.id in ({tickets_sql}) and t.thread_id is null and m.sender = 'person'", [now, *parameters])

    def _delete_ticket_messages(self, tickets_sql: str, parameters: list) -> int:
        messages = f"select id from ticket_messages where ticket_id in ({tickets_sql})"
        self.db.execute(f"delete from relayed_copies where ticket_message_id in ({messages})", parameters)
        return self.db.execute(f"delete from ticket_messages where ticket_id in ({tickets_sql})", parameters).rowcount

    def _checkpoint(self) -> None:
        """Empty the write-ahead log: deleted rows must not live on in the -wal file (after a crash, in a backup)."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def pending_erasures(self) -> list[dict]:
        """Traces still to delete from volunteers' groups: chat_id with thread_id (a topic) or message_id."""
        with self._lock:
            return self._rows("select id, chat_id, thread_id, message_id from erasures order by id", [])

    def erasure_done(self, erasure_id: int) -> None:
        with self._lock:
            self.db.execute("delete from erasures where id = ?", [erasure_id])

    # exchanges with the bot

    def record_exchange(self, person_id: int, text: str, language: str | None, action: str,
                        entry_id: str | None, score: float, candidates: list[str]) -> None:
        """A question and what the bot did with it; the text is kept scrubbed."""
        with self._lock:
            self.db.execute(
                "insert into exchanges (person_id, text, language, action, entry_id, score, candidates, created)"
                " values (?, ?, ?, ?, ?, ?, ?, ?)",
                [person_id, scrub(text), language, action, entry_id, score, json.dumps(candidates), _now()])

    def recent_exchanges(self, person_id: int, limit: int = 5) -> list[dict]:
        """The person's last exchanges with the bot, oldest first."""
        with self._lock:
            rows = list(self.db["exchanges"].rows_where(
                "person_id = ?", [person_id], order_by="id desc", limit=limit))
        for row in rows:
            row["candidates"] = json.loads(row["candidates"] or "[]")
        return rows[::-1]

    def last_emergency_message(self, person_id: int) -> str | None:
        """The (scrubbed) text of the person's latest message that raised the alarm."""
        with self._lock:
            rows = self._rows("select text from exchanges where person_id = ? and action = 'emergency'"
                              " order by id desc limit 1", [person_id])
        return rows[0]["text"] if rows else None

    def record_feedback(self, person_id: int, entry_id: str, helpful: bool) -> None:
        """👍 or 👎 on an answer, with the (scrubbed) question that led to it."""
        with self._lock:
            rows = self._rows("select text from exchanges where person_id = ? and entry_id = ? and action != 'chosen'"
                              " order by id desc limit 1", [person_id, entry_id])
            self.db["feedback"].insert({"person_id": person_id, "entry_id": entry_id, "helpful": int(helpful),
                                        "created": _now(), "question": rows[0]["text"] if rows else None})

    # tickets

    def open_ticket(self, person_id: int, language: str | None, topic: str | None, *, emergency: bool = False,
                    emergency_kind: str | None = None) -> Ticket:
        """The person's open ticket, or a new one; an emergency marks it (with
        the latest kind of danger when one is known)."""
        with self._lock, self.db.atomic():
            existing = self.open_ticket_of(person_id)
            if existing:
                if emergency:
                    self.db["tickets"].update(existing.id, {"emergency": 1,
                                                            "emergency_kind": emergency_kind or existing.emergency_kind})
                return self.open_ticket_of(person_id)
            row_id = self.db["tickets"].insert({
                "person_id": person_id, "status": "open", "language": language, "topic": topic,
                "emergency": int(emergency), "emergency_kind": emergency_kind if emergency else None,
                "claimed_by": None, "created": _now(), "closed": None, "closing_note": None,
            }).last_pk
            return self._ticket(row_id)

    def tickets_opened_since(self, person_id: int, since: dt.datetime) -> int:
        with self._lock:
            return self._rows("select count(*) as n from tickets where person_id = ? and created >= ?",
                              [person_id, since.isoformat(timespec="seconds")])[0]["n"]

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
                           source: Source | None = None) -> int | None:
        """Store a message of a ticket before it is passed on; returns its id,
        or None when the update that brought it was stored before."""
        with self._lock, self.db.atomic():
            cursor = self.db.execute(
                "insert or ignore into ticket_messages (ticket_id, sender, text, created, kind, source_chat_id,"
                " source_message_id, update_id, delivered) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ticket_id, sender, text, _now(), kind, source and source.chat_id, source and source.message_id,
                 source and source.update_id, int(sender == "note")])
            if not cursor.rowcount:
                return None
            if sender == "volunteer":
                self.db.execute("update tickets set first_answer = ? where id = ? and first_answer is null",
                                [_now(), ticket_id])
            return cursor.lastrowid

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

    def ticket_in_topic(self, group_id: int, thread_id: int) -> Ticket | None:
        """The ticket whose forum topic is ``thread_id`` in that group."""
        with self._lock:
            rows = self._rows("select * from tickets where group_id = ? and thread_id = ? order by id desc limit 1",
                              [group_id, thread_id])
        return self._from_row(rows[0]) if rows else None

    def ticket_of_group_message(self, group_id: int, message_id: int) -> Ticket | None:
        """The ticket a message of a group without topics belongs to: its
        summary, a message the bot posted there for the person, or a
        volunteer's message that was passed on. Ids are counted per chat, so
        only a message of this very group matches."""
        with self._lock:
            rows = self._rows(
                "select id as ticket_id from tickets where group_id = ? and summary_message_id = ?"
                " union all select m.ticket_id from relayed_copies c join ticket_messages m on m.id = c.ticket_message_id"
                " where c.chat_id = ? and c.message_id = ?"
                " union all select ticket_id from ticket_messages where source_chat_id = ? and source_message_id = ?"
                " limit 1", [group_id, message_id, group_id, message_id, group_id, message_id])
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

    def tickets_waiting(self, now: dt.datetime, minutes: int, emergency_minutes: int) -> list[Ticket]:
        """Open, unclaimed tickets due for a reminder: once after ``minutes``;
        an emergency after ``emergency_minutes`` and again every
        ``emergency_minutes`` until someone claims it."""
        due = []
        with self._lock:
            rows = self._rows("select * from tickets where status = 'open' and claimed_by is null order by id", [])
        for row in rows:
            waited = now - dt.datetime.fromisoformat(row["created"])
            if row["emergency"]:
                if waited >= dt.timedelta(minutes=emergency_minutes * (row["reminded"] + 1)):
                    due.append(self._from_row(row))
            elif not row["reminded"] and waited >= dt.timedelta(minutes=minutes):
                due.append(self._from_row(row))
        return due

    def mark_reminded(self, ticket_id: int) -> None:
        """One more reminder was posted for the ticket."""
        with self._lock:
            self.db.execute("update tickets set reminded = reminded + 1 where id = ?", [ticket_id])

    def external_id(self, person_id: int) -> str | None:
        """The person's id on their channel (for Telegram: the private chat to write to)."""
        with self._lock:
            rows = list(self.db["people"].rows_where("id = ?", [person_id], select="external_id"))
        return rows[0]["external_id"] if rows else None

    def undelivered(self, ticket_id: int, sender: str) -> list[TicketMessage]:
        """Messages from ``sender`` not yet passed to the other side, oldest
        first, each with how many messages it already became there."""
        with self._lock:
            rows = self._rows(
                "select m.*, (select count(*) from relayed_copies c where c.ticket_message_id = m.id) as copies"
                " from ticket_messages m where ticket_id = ? and sender = ? and delivered = ? order by id",
                [ticket_id, sender, PENDING])
            return [TicketMessage(r["id"], r["ticket_id"], r["sender"], r["kind"], r["text"] or "",
                                  r["source_chat_id"], r["source_message_id"], r["copies"]) for r in rows]

    def record_copy(self, ticket_message_id: int, chat_id: int, message_id: int) -> None:
        """One message that a relayed message became on the other side (a long one becomes several)."""
        with self._lock:
            self.db.execute("insert or ignore into relayed_copies (ticket_message_id, chat_id, message_id)"
                            " values (?, ?, ?)", [ticket_message_id, chat_id, message_id])

    def mark_delivered(self, message_ids: list[int]) -> None:
        self._set_delivery(message_ids, DELIVERED)

    def mark_refused(self, message_ids: list[int]) -> None:
        """Telegram refused these for good (a deleted photo, say): they no longer hold up the others."""
        self._set_delivery(message_ids, REFUSED)

    def _set_delivery(self, message_ids: list[int], state: int) -> None:
        with self._lock, self.db.atomic():
            self.db.conn.executemany("update ticket_messages set delivered = ? where id = ?",
                                     [(state, message_id) for message_id in message_ids])

    def tickets_with_undelivered(self) -> list[int]:
        """Tickets with messages still to pass on (closed ones too: what was
        written before the close still goes), and open tickets with no place
        in the volunteers' group yet (after a restart or a Telegram error)."""
        with self._lock:
            return [r["id"] for r in self._rows(
                "select id from tickets where (status = 'open' and summary_message_id is null) or id in"
                " (select ticket_id from ticket_messages where delivered = ? and sender in ('person', 'volunteer'))"
                " order by id", [PENDING])]

    # answers kept until Telegram accepted them

    def keep_answer(self, person_id: int, chat_id: int, parts: list, update_id: int | None = None) -> int | None:
        """Keep an answer's messages (JSON-able parts) until each is sent;
        returns its id, or None when the update that asked for it brought one before."""
        with self._lock:
            cursor = self.db.execute(
                "insert or ignore into outbox (person_id, chat_id, update_id, parts, sent, created)"
                " values (?, ?, ?, ?, 0, ?)", [person_id, chat_id, update_id, json.dumps(parts), _now()])
            return cursor.lastrowid if cursor.rowcount else None

    def unsent_answers(self, answer_id: int | None = None) -> list[dict]:
        """Kept answers (id, chat_id, parts still to send), oldest first; or just the one asked for."""
        with self._lock:
            rows = self._rows("select id, chat_id, parts, sent from outbox where sent < json_array_length(parts)"
                              + (" and id = ?" if answer_id is not None else "") + " order by id",
                              [answer_id] if answer_id is not None else [])
        return [{"id": r["id"], "chat_id": r["chat_id"], "parts": json.loads(r["parts"])[r["sent"]:]} for r in rows]

    def drop_answer(self, answer_id: int) -> None:
        """An answer that can never go (the person blocked the bot)."""
        with self._lock:
            self.db.execute("delete from outbox where id = ?", [answer_id])

    def answer_part_sent(self, answer_id: int) -> None:
        """One more part went out. A sent answer is kept as long as its
        update could be replayed, so that a replay does not send it again."""
        with self._lock:
            self.db.execute("update outbox set sent = sent + 1 where id = ?", [answer_id])

    # for the maintainers' report (no person ids leave these)

    def unanswered_since(self, since: dt.datetime) -> list[dict]:
        """Questions the bot found no answer for: text (scrubbed) and language."""
        with self._lock:
            return self._rows("select text, language from exchanges where action = 'escalate' and entry_id is null"
                              " and created >= ? order by id", [since.isoformat(timespec="seconds")])

    def unhelpful_since(self, since: dt.datetime) -> list[dict]:
        """👎 on answers: the entry and the question (scrubbed) that led to it."""
        with self._lock:
            return self._rows("select entry_id, question from feedback where helpful = 0 and created >= ? order by id",
                              [since.isoformat(timespec="seconds")])

    def tickets_since(self, since: dt.datetime) -> list[dict]:
        with self._lock:
            return self._rows("select topic, language, emergency, created, first_answer from tickets"
                              " where created >= ? order by id", [since.isoformat(timespec="seconds")])

    # updates received (exactly-once handling)

    def receive_updates(self, updates: list[dict]) -> None:
        """Keep the updates fetched from Telegram (as decoded JSON) before they
        are confirmed to it, without names, usernames or phone numbers."""
        rows = [(update["update_id"], json.dumps(_without_names(update), ensure_ascii=False), _now())
                for update in updates]
        with self._lock, self.db.atomic():
            self.db.conn.executemany(
                "insert or ignore into updates (update_id, body, handled, received) values (?, ?, 0, ?)", rows)

    def unhandled_updates(self) -> list[str]:
        """The JSON of updates received but not handled (the process died first), oldest first."""
        with self._lock:
            return [r["body"] for r in self._rows(
                "select body from updates where handled = 0 and body is not null order by update_id", [])]

    def last_update_id(self) -> int:
        """The highest update id received so far (0 when none)."""
        with self._lock:
            return self._rows("select coalesce(max(update_id), 0) as n from updates", [])[0]["n"]

    def update_handled(self, update_id: int) -> bool:
        with self._lock:
            return bool(self._rows("select 1 from updates where update_id = ? and handled = 1", [update_id]))

    def mark_update_handled(self, update_id: int) -> None:
        """Handled: keep only the id (to recognise a second delivery), not the content."""
        with self._lock:
            self.db.execute("insert into updates (update_id, body, handled, received) values (?, null, 1, ?)"
                            " on conflict (update_id) do update set body = null, handled = 1", [update_id, _now()])

    # retention

    def apply_retention(self, days: int, now: dt.datetime | None = None) -> dict[str, int]:
        """Delete what is older than ``days``: questions, feedback, the messages
        and closing notes of tickets closed that long ago, and people with
        nothing left. Tickets stay, without a person, for the statistics.
        Returns how many rows of each kind went."""
        now = now or dt.datetime.now(dt.timezone.utc)
        cutoff = (now - dt.timedelta(days=days)).isoformat(timespec="seconds")
        deleted = {}
        with self._lock, self.db.atomic():
            old_tickets = "select id from tickets where status = 'closed' and closed < ? and person_id is not null"
            self._queue_erasures(old_tickets, [cutoff])
            deleted["ticket messages"] = self._delete_ticket_messages(old_tickets, [cutoff])
            deleted["closed tickets anonymised"] = self.db.execute(
                "update tickets set person_id = null, closing_note = null where status = 'closed' and closed < ?"
                " and person_id is not null", [cutoff]).rowcount
            deleted["questions"] = self.db.execute("delete from exchanges where created < ?", [cutoff]).rowcount
            deleted["feedback"] = self.db.execute("delete from feedback where created < ?", [cutoff]).rowcount
            deleted["people"] = self.db.execute(
                "delete from people where created < ? and id not in (select person_id from exchanges)"
                " and id not in (select person_id from tickets where person_id is not null)"
                " and id not in (select person_id from feedback)", [cutoff]).rowcount
            deleted["sent answers"] = self.db.execute(
                "delete from outbox where sent >= json_array_length(parts) and created < ?",
                [(now - UPDATE_MEMORY).isoformat(timespec="seconds")]).rowcount
            deleted["updates"] = self.db.execute(
                "delete from updates where received < ?",
                [(now - UPDATE_MEMORY).isoformat(timespec="seconds")]).rowcount
        with self._lock:
            self._checkpoint()
        return deleted

    @staticmethod
    def _from_row(row: dict) -> Ticket:
        return Ticket(row["id"], row["person_id"], row["status"], row["language"], row["topic"],
                      bool(row["emergency"]), row["created"], row.get("group_id"), row.get("thread_id"),
                      row.get("summary_message_id"), row.get("claimed_by"), row.get("volunteer_name"),
                      row.get("emergency_kind"))

    def count_rows(self, person_id: int) -> int:
        """How many rows anywhere belong to a person (for /forget and its tests)."""
        with self._lock:
            total = self.db["people"].count_where("id = ?", [person_id])
            for table in ("exchanges", "tickets", "feedback", "outbox"):
                total += self.db[table].count_where("person_id = ?", [person_id])
            total += next(self.db.query(
                "select count(*) as n from ticket_messages where ticket_id in (select id from tickets where person_id = ?)",
                [person_id]))["n"]
            return total


def _without_names(value):
    """A Telegram object with every user's and chat's names taken out (a
    first name is required by the library, so it is left empty)."""
    if isinstance(value, list):
        return [_without_names(item) for item in value]
    if not isinstance(value, dict):
        return value
    cleaned = {key: _without_names(item) for key, item in value.items() if key not in _NAME_FIELDS}
    if "first_name" in cleaned:
        cleaned["first_name"] = ""
    return cleaned


def _explain(path: Path | str, error: sqlite3.DatabaseError | OSError) -> str:
    """What a person starting the bot should read about an unusable database
    (an sqlite3 error) or a data directory that cannot be created (an OSError
    of mkdir): what is wrong, with the path, and what to do."""
    directory = Path(path).parent
    elsewhere = "choose another WEGWIJS_DATA_DIR (or --data-dir)"

    def holds(test, candidate: Path) -> bool:
        try:
            return test(candidate)
        except OSError:  # e.g. no permission to look
            return False

    if isinstance(error, OSError):
        if isinstance(error, FileExistsError | NotADirectoryError):
            blocker = next((p for p in (directory, *directory.parents) if holds(Path.is_file, p)), None)
            if blocker == directory:
                return (f"The data directory {directory} is a file, not a directory. "
                        f"Move that file aside, or {elsewhere}.")
            if blocker is not None:
                return (f"The data directory {directory} cannot be created: {blocker} is a file, not a directory. "
                        f"Move that file aside, or {elsewhere}.")
        return (f"The data directory {directory} cannot be created ({error.strerror or error}). "
                f"Create it and make it writable for the bot's user (fix the permissions), or {elsewhere}.")
    reason = str(error)
    code = getattr(error, "sqlite_errorname", "") or ""
    if code.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN")) or "readonly" in reason or "unable to open" in reason:
        # Not writable is not damaged: a good database must not be thrown away for it.
        if holds(Path.is_dir, Path(path)):
            return f"{path} is a directory, not a database file. Move it aside, or {elsewhere}."
        if code == "SQLITE_READONLY_DIRECTORY" or not holds(Path.exists, Path(path)):
            what = f"The data directory {directory} is not writable, so {path} cannot be opened for writing"
        else:
            what = f"{path} is not writable: the file, its directory {directory} or the file system is read-only"
        return (f"{what} ({reason}). Nothing was changed. "
                f"Fix the permissions so that the bot's user can write the directory and the file, or {elsewhere}.")
    if "locked" in reason or "busy" in reason:
        return (f"{path} is in use by another process (is the bot already running?). "
                "Stop the other process and start again.")
    return (f"{path} is damaged or not a Wegwijs database ({reason}). Nothing was changed. "
            "Restore it from a backup, or move it aside to start with an empty database.")
