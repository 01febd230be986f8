from bot.store import Store


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
