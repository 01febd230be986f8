import datetime as dt
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from bot.people.store import Source, Store, StoreError


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


def test_an_emergency_keeps_the_latest_clear_kind_of_danger(store):
    person = store.person("test", "kind")
    assert store.open_ticket(person.id, "en", None, emergency=True, emergency_kind="weapon").emergency_kind == "weapon"
    assert store.open_ticket(person.id, "en", None, emergency=True).emergency_kind == "weapon"
    assert store.open_ticket(person.id, "en", None, emergency=True, emergency_kind="bleeding").emergency_kind == "bleeding"


def test_a_database_of_before_the_kinds_of_danger_gets_them(tmp_path):
    """The migration adds the column to a store made before it; old tickets have no kind."""
    path = tmp_path / "old.sqlite3"
    store = Store(path)
    ticket = store.open_ticket(store.person("test", "old").id, "en", None, emergency=True)
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("alter table tickets drop column emergency_kind")
        db.execute("delete from _sqlite_migrations where name = 'emergency_kind'")
    store = Store(path)
    assert store.ticket(ticket.id).emergency and store.ticket(ticket.id).emergency_kind is None
    store.close()


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
    store.receive_updates([{"update_id": 1}])
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


# An unusable data directory or database file: one clear StoreError that names the path and what to
# do, and never "damaged" or "restore from a backup" for a good database that merely cannot be written.

NOBODY = 65534  # uid and gid of "nobody"


def _refusal(message: str, path) -> None:
    assert str(path) in message and "WEGWIJS_DATA_DIR" in message
    assert "damaged" not in message and "backup" not in message and "Traceback" not in message


@pytest.fixture
def shared_dir():
    """A directory that an unprivileged user can reach (pytest's tmp_path sits in a root-only folder);
    emptied afterwards whatever modes a test left."""
    base = Path(tempfile.mkdtemp(prefix="wegwijs-modes-"))
    base.chmod(0o755)
    yield base
    for folder, _, _ in os.walk(base):
        os.chmod(folder, 0o755)
    shutil.rmtree(base)


def _store_error_without_privileges(path) -> str | None:
    """The StoreError message of opening a Store at ``path`` (None when it opens) as a user for whom
    file modes count. Root writes through any mode, so as root this runs in a forked child process
    that has dropped to nobody: real permission errors, not simulated ones."""
    def attempt() -> str | None:
        try:
            Store(path).close()
        except StoreError as error:
            return str(error)
        return None

    if os.geteuid() != 0:
        return attempt()
    warm = Path(tempfile.mkdtemp(prefix="wegwijs-warm-"))
    Store(warm / "w.sqlite3").close()  # every module the child needs is loaded before it loses access to them
    shutil.rmtree(warm)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            os.close(read)
            try:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            except OSError as error:
                result = {"cannot_drop": repr(error)}
            else:
                result = {"message": attempt()}
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            result = {"failed": repr(error)}
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    result = json.loads(answer or b'{"failed": "no answer from the child"}')
    if "cannot_drop" in result:  # then only the simulated test below covers a read-only database
        pytest.skip(f"root's privileges cannot be dropped here: {result['cannot_drop']}")
    if "failed" in result:
        pytest.fail(f"the unprivileged child failed: {result['failed']}")
    return result["message"]


def test_a_data_directory_that_is_a_file_is_refused_in_one_clear_line(tmp_path):
    data = tmp_path / "data"
    data.write_text("not a directory")
    with pytest.raises(StoreError) as refused:
        Store(data / "w.sqlite3")
    message = str(refused.value)
    assert f"The data directory {data} is a file, not a directory" in message
    _refusal(message, data)
    assert data.read_text() == "not a directory"


def test_a_data_directory_under_a_file_cannot_be_created_and_says_which_file(tmp_path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(StoreError) as refused:
        Store(blocker / "data" / "w.sqlite3")
    message = str(refused.value)
    assert f"cannot be created: {blocker} is a file, not a directory" in message
    _refusal(message, blocker / "data")


def test_a_data_directory_without_permission_to_create_it_says_fix_the_permissions(shared_dir):
    parent = shared_dir / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    message = _store_error_without_privileges(parent / "data" / "w.sqlite3")
    assert message is not None and f"The data directory {parent / 'data'} cannot be created" in message
    assert "Permission denied" in message and "fix the permissions" in message
    _refusal(message, parent / "data")


def test_a_read_only_data_directory_is_not_writable_not_damaged_and_the_data_stays(shared_dir):
    data = shared_dir / "data"
    store = Store(data / "w.sqlite3")
    person = store.person("t", "kept")
    store.close()
    (data / "w.sqlite3").chmod(0o666)  # only the directory stops writing (the -wal file cannot be created)
    data.chmod(0o555)
    message = _store_error_without_privileges(data / "w.sqlite3")
    assert message is not None and f"The data directory {data} is not writable" in message
    assert "Fix the permissions" in message
    _refusal(message, data)
    data.chmod(0o755)
    again = Store(data / "w.sqlite3")
    assert again.person_exists(person.id)
    again.close()


def test_a_new_database_in_a_read_only_data_directory_is_not_writable(shared_dir):
    data = shared_dir / "data"
    data.mkdir()
    data.chmod(0o555)
    message = _store_error_without_privileges(data / "w.sqlite3")
    assert message is not None and f"The data directory {data} is not writable" in message
    _refusal(message, data)


def test_a_read_only_database_file_in_a_writable_directory_is_not_writable(shared_dir):
    data = shared_dir / "data"
    store = Store(data / "w.sqlite3")
    person = store.person("t", "kept")
    store.close()
    if os.geteuid() == 0:
        os.chown(data, NOBODY, NOBODY)  # the directory is writable for the unprivileged user, the file is not
    (data / "w.sqlite3").chmod(0o444)
    message = _store_error_without_privileges(data / "w.sqlite3")
    assert message is not None and f"{data / 'w.sqlite3'} is not writable" in message
    _refusal(message, data / "w.sqlite3")
    (data / "w.sqlite3").chmod(0o644)
    again = Store(data / "w.sqlite3")
    assert again.person_exists(person.id)
    again.close()


def test_a_database_sqlite_may_only_read_is_reported_not_writable_simulated(tmp_path, monkeypatch):
    """The same case where no user without privileges is at hand: SQLite itself opens the file read-only
    (mode=ro), so the error is SQLite's real one ("attempt to write a readonly database")."""
    path = tmp_path / "w.sqlite3"
    store = Store(path)
    person = store.person("t", "kept")
    store.close()
    real_connect = sqlite3.connect

    def read_only(database, *args, **kwargs):
        return real_connect(f"file:{database}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)
    with pytest.raises(StoreError) as refused:
        Store(path)
    message = str(refused.value)
    assert f"{path} is not writable" in message and "attempt to write a readonly database" in message
    _refusal(message, path)
    monkeypatch.undo()
    again = Store(path)
    assert again.person_exists(person.id)
    again.close()


def test_a_database_path_that_is_a_directory_is_refused_and_not_called_damaged(tmp_path):
    (tmp_path / "w.sqlite3").mkdir()
    with pytest.raises(StoreError) as refused:
        Store(tmp_path / "w.sqlite3")
    message = str(refused.value)
    assert f"{tmp_path / 'w.sqlite3'} is a directory, not a database file" in message
    _refusal(message, tmp_path / "w.sqlite3")


def _file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


@pytest.mark.parametrize("how", ["forget", "retention"])
def test_deleted_texts_are_gone_from_the_database_file_and_its_write_ahead_log(tmp_path, how):
    path = tmp_path / "w.sqlite3"
    store = Store(path)
    person = store.person("telegram", "4242")
    ticket = store.open_ticket(person.id, "ar", None)
    store.add_ticket_message(ticket.id, "person", "MY-SECRET-STORY of the journey")
    store.record_exchange(person.id, "MY-SECRET-QUESTION about asylum", "ar", "escalate", None, 0.1, [])
    store.receive_updates([{"update_id": 7, "message": {"text": "MY-SECRET-UPDATE"}}])
    store.mark_update_handled(7)
    assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    if how == "forget":
        store.forget_person(person.id)
    else:
        store.close_ticket(ticket.id)
        store.apply_retention(30, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31))
    # The write-ahead log is emptied at once, not at the next clean stop: a crash or a backup keeps nothing.
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    assert b"MY-SECRET" not in _file_bytes(path)
    store.close()


def test_stored_updates_keep_no_names_usernames_or_phone_numbers(store):
    user = {"id": 4242, "is_bot": False, "first_name": "Amina", "last_name": "Haddad", "username": "amina_h"}
    update = {"update_id": 9, "message": {
        "message_id": 3, "date": 0, "from": user, "text": "hello",
        "chat": {"id": 4242, "type": "private", "first_name": "Amina", "last_name": "Haddad", "username": "amina_h"},
        "reply_to_message": {"message_id": 2, "date": 0, "chat": {"id": 4242, "type": "private"}, "from": user},
        "contact": {"phone_number": "+32470123456", "first_name": "Amina", "user_id": 4242}}}
    store.receive_updates([update])
    [body] = store.unhandled_updates()
    assert not any(word in body for word in ("Amina", "Haddad", "amina_h", "470123456"))
    kept = json.loads(body)
    assert kept["message"]["from"]["id"] == 4242 and kept["message"]["text"] == "hello"
    assert kept["message"]["chat"]["id"] == 4242


def test_an_id_names_a_group_message_only_together_with_its_chat(store):
    person = store.person("telegram", "4242")
    ticket = store.open_ticket(person.id, "en", None)
    store.place_ticket(ticket.id, -100, None, 1)
    answer = store.add_ticket_message(ticket.id, "volunteer", "hello", source=Source(-100, 2))
    store.record_copy(answer, 4242, 5)  # message 5 of the person's chat
    question = store.add_ticket_message(ticket.id, "person", "a long question", source=Source(4242, 6))
    store.record_copy(question, -100, 7)
    store.record_copy(question, -100, 8)  # a second part
    assert store.ticket_of_group_message(-100, 5) is None  # 5 lives in the person's chat, not the group
    assert [store.ticket_of_group_message(-100, n).id for n in (1, 2, 7, 8)] == [ticket.id] * 4
    assert store.ticket_of_group_message(-200, 7) is None
