import datetime as dt
import sqlite3

import pytest

from bot.store import Source, Store, StoreError


def test_a_person_is_created_once_and_keeps_a_language(store):
    first = store.person("telegram", "42")
    store.set_language(first.id, "ar")
    again = store.person("telegram", "42")
    assert again.id == first.id and again.language == "ar"


def test_one_open_ticket_per_person_and_the_queue_is_oldest_first(store):
    a, b = store.person("t", "a"), store.person("t", "b")
    ticket_a = store.open_ticket(a.id, "ar", "family")
    ticket_b = store.open_ticket(b.id, "nl", None)
    assert store.open_ticket(a.id, "ar", "housing").id == ticket_a.id
    assert [t.id for t in store.open_tickets()] == [ticket_a.id, ticket_b.id]
    store.close_ticket(ticket_a.id, "answered")
    assert [t.id for t in store.open_tickets()] == [ticket_b.id]


def test_an_emergency_marks_the_open_ticket(store):
    person = store.person("t", "c")
    store.open_ticket(person.id, "en", None)
    assert store.open_ticket(person.id, "en", None, emergency=True).emergency


def test_forget_leaves_no_row_of_the_person(store):
    person, other = store.person("t", "gone"), store.person("t", "stays")
    ticket = store.open_ticket(person.id, "fa", "housing")
    store.add_ticket_message(ticket.id, "person", "hello")
    store.record_exchange(person.id, "question", "fa", "answer", "housing.find-rental", 0.9, ["housing.find-rental"])
    store.record_feedback(person.id, "housing.find-rental", helpful=False)
    store.record_exchange(other.id, "question", "nl", "escalate", None, 0.1, [])
    store.forget_person(person.id)
    assert store.count_rows(person.id) == 0
    assert store.db["ticket_messages"].count == 0
    assert store.count_rows(other.id) == 2


def test_data_survives_a_reopen(tmp_path):
    path = tmp_path / "data" / "w.sqlite3"
    first = Store(path)
    person = first.person("t", "x")
    first.open_ticket(person.id, "so", None)
    first.close()
    second = Store(path)
    assert second.open_ticket_of(person.id) is not None
    second.close()


def test_a_damaged_file_is_refused_with_a_clear_message_and_left_alone(tmp_path):
    path = tmp_path / "w.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="damaged or not a Wegwijs database.*Nothing was changed"):
        Store(path)
    assert path.read_bytes().startswith(b"this is not a database")


def test_a_truncated_database_is_refused(tmp_path):
    path = tmp_path / "w.sqlite3"
    store = Store(path)
    for n in range(2000):
        store.record_exchange(store.person("t", str(n)).id, "question " * 20, "en", "answer", None, 0.5, [])
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="damaged"):
        Store(path)


def test_a_database_held_by_another_process_is_refused(tmp_path):
    path = tmp_path / "w.sqlite3"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="in use by another process"):
            Store(path, busy_seconds=0.2)
    finally:
        holder.close()


def test_question_texts_are_kept_scrubbed(store):
    person = store.person("t", "p")
    store.record_exchange(person.id, "call me on 0470 12 34 56 or amina@example.org", "en", "escalate", None, 0.1, [])
    store.record_exchange(person.id, "how much is the deposit", "en", "answer", "housing.rental-deposit", 0.9, [])
    store.record_feedback(person.id, "housing.rental-deposit", helpful=False)
    texts = [row[0] for row in store.db.execute("select text from exchanges")]
    assert texts[0] == "call me on [phone] or [e-mail]"
    assert store.db.execute("select question from feedback").fetchone()[0] == "how much is the deposit"


def test_retention_deletes_old_questions_and_closed_ticket_messages_only(store):
    old, recent = store.person("t", "old"), store.person("t", "recent")
    store.record_exchange(old.id, "old question", "en", "escalate", None, 0.1, [])
    closed = store.open_ticket(old.id, "en", None)
    store.add_ticket_message(closed.id, "person", "old private story")
    store.close_ticket(closed.id, "note naming the person")
    store.record_feedback(old.id, "housing.rental-deposit", helpful=False)
    store.receive_updates([(1, "{}")])
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31)
    still_open = store.open_ticket(recent.id, "ar", None)
    store.add_ticket_message(still_open.id, "person", "waiting for an answer")
    # Make the recent person's rows recent as of ``later``.
    store.db.execute("update exchanges set created = ? where person_id = ?", [later.isoformat(), recent.id])
    deleted = store.apply_retention(30, now=later)
    assert deleted["questions"] == 1 and deleted["ticket messages"] == 1 and deleted["feedback"] == 1
    assert deleted["updates"] == 1 and deleted["people"] == 1
    assert store.ticket(closed.id).person_id is None and store.ticket(closed.id).status == "closed"
    assert store.db.execute("select closing_note from tickets where id = ?", [closed.id]).fetchone()[0] is None
    assert [m["text"] for m in store.ticket_messages(still_open.id)] == ["waiting for an answer"]
    assert not store.person_exists(old.id) and store.person_exists(recent.id)


def test_a_message_of_an_update_seen_before_is_not_stored_twice(store):
    ticket = store.open_ticket(store.person("t", "x").id, "en", None)
    first = store.add_ticket_message(ticket.id, "person", "hello", source=Source(1, 10, update_id=500))
    again = store.add_ticket_message(ticket.id, "person", "hello", source=Source(1, 10, update_id=500))
    assert first is not None and again is None and len(store.ticket_messages(ticket.id)) == 1
