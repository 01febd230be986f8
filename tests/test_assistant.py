"""The conversation, as the terminal and Telegram front ends drive it."""

import pytest

from bot.assistant import Assistant
from bot.understanding.languages import LANGUAGES


def test_start_greets_in_the_phone_language_and_offers_every_language(assistant, store):
    person = store.person("test", "s")
    [picker] = assistant.start(person, "nl-BE")  # one message: a crowd of new people costs half
    assert picker.lang == "nl" and "Hallo" in picker.text
    assert len(picker.buttons) == 11
    assert {b.label for b in picker.buttons} >= {"العربية", "فارسی", "ትግርኛ", "Українська"}


def test_dari_phone_gets_persian(assistant, store):
    [greeting] = assistant.start(store.person("test", "d"), "prs")
    assert greeting.lang == "fa"


def test_choosing_a_language_is_remembered(assistant, store):
    person = store.person("test", "l")
    assistant.on_button(person, "lang:ar")
    assert store.person("test", "l").language == "ar"


def test_an_answer_has_title_links_and_buttons(assistant, store):
    person = store.person("test", "a")
    assistant.on_button(person, "lang:en")
    [reply] = assistant.on_text(store.person("test", "a"), "how much rental deposit can the landlord ask")
    assert reply.kind == "answer" and reply.title
    assert reply.links and reply.links[0].url.startswith("https://")
    actions = [b.action for b in reply.buttons]
    assert "human" in actions and "up:housing.rental-deposit" in actions and "down:housing.rental-deposit" in actions


def test_a_machine_translation_is_marked_for_the_reader(assistant, store):
    person = store.person("test", "m")
    assistant.on_button(person, "lang:nl")
    [reply] = assistant.on_button(store.person("test", "m"), "entry:housing.rental-deposit")
    assert reply.lang == "nl"
    assert any("Machinevertaling" in note for note in reply.notes)


def test_a_missing_translation_falls_back_and_says_so(assistant, engine, store, monkeypatch):
    monkeypatch.delitem(engine.knowledge.entries["housing.rental-deposit"].answer, "so")
    person = store.person("test", "f")
    assistant.on_button(person, "lang:so")
    [reply] = assistant.on_button(store.person("test", "f"), "entry:housing.rental-deposit")
    assert reply.lang == "en"
    assert any("Soomaali" in note and "English" in note for note in reply.notes)


def test_out_of_scope_gets_an_honest_no_and_a_volunteer(assistant, store):
    [reply] = assistant.on_text(store.person("test", "o"), "who won the football match yesterday")
    assert reply.kind == "escalate"
    assert "human" in [b.action for b in reply.buttons]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_answer_always_says_the_emergency_number(assistant, lang):
    """Danger the emergency check missed ends in 'no answer' too: the number is there, in the person's language."""
    reply = assistant.no_answer(lang)
    first, number = reply.text.split("\n")
    assert "112" in number and "112" not in first
    assert lang == "en" or number != "If you are in danger now, call 112."


def test_clarify_offers_at_most_three_entries_and_none_of_these(assistant, engine, store):
    reply = assistant.clarify(["housing.rental-deposit", "housing.tenant-rights", "housing.find-rental"], "en")
    assert [b.action for b in reply.buttons][-1] == "none"
    assert len(reply.buttons) == 4
    [after] = assistant.on_button(store.person("test", "c"), "none")
    assert after.kind == "escalate"


def test_feedback_is_stored(assistant, store):
    person = store.person("test", "fb")
    assistant.on_button(person, "down:housing.rental-deposit")
    assert store.db["feedback"].count == 1


def test_human_opens_a_ticket_and_later_messages_go_to_it(assistant, store):
    person = store.person("test", "h")
    [ticket_reply] = assistant.on_text(person, "I want to talk to a real person please")
    assert ticket_reply.kind == "ticket"
    [relayed] = assistant.on_text(person, "my landlord does not return the deposit")
    assert relayed.kind == "relayed"
    ticket = store.open_ticket_of(person.id)
    assert [m["text"] for m in store.ticket_messages(ticket.id)] == ["my landlord does not return the deposit"]
    [cancelled] = assistant.on_button(person, "cancel")
    assert store.open_ticket_of(person.id) is None and cancelled.kind == "info"


def test_topics_lead_to_entries(assistant):
    topics = assistant.topics("en")
    assert "topic:housing" in [b.action for b in topics.buttons]
    assert all(not b.action.startswith("topic:meta") for b in topics.buttons)
    housing = assistant.topic("housing", "en")
    assert "entry:housing.rental-deposit" in [b.action for b in housing.buttons]


def test_stale_or_tampered_buttons_get_a_clear_reply(assistant, store):
    [reply] = assistant.on_button(store.person("test", "t"), "entry:does.not-exist")
    assert reply.kind == "info" and "no longer valid" in reply.text


def test_forget_deletes_the_person(assistant, store):
    person = store.person("test", "gone")
    assistant.on_text(person, "hello")
    assistant.forget(person, "en")
    assert store.count_rows(person.id) == 0


def test_arabic_replies_are_right_to_left(assistant):
    assert assistant.topics("ar").direction == "rtl"
    assert assistant.topics("nl").direction == "ltr"


def _press(assistant, person, reply, label_start):
    [button] = [b for b in reply.buttons if b.label.startswith(label_start)]
    return assistant.on_button(person, button.action)


def test_an_answer_offers_the_guided_conversation_that_ends_in_a_checklist(assistant, store):
    person = store.person("test", "guide")
    assistant.on_button(person, "lang:en")
    [answer] = assistant.on_text(person, "which family members can join me in belgium")
    [question] = _press(assistant, person, answer, "🧭")
    assert question.kind == "guide" and question.title == "Can my family join me?"
    [question] = _press(assistant, person, question, "Refugee status")
    [question] = _press(assistant, person, question, "My children under 18")
    [back] = _press(assistant, person, question, "◀")
    assert "Who do you want to bring" in back.text
    [end] = _press(assistant, person, question, "More than 6 months ago")
    assert end.text.startswith("Your checklist:")
    assert "☐ Children: your unmarried children under 18" in end.text and "☐ Conditions:" in end.text
    actions = [b.action for b in end.buttons]
    assert "entry:family.how-to-apply" in actions and "human" in actions and "guide:family-join:" in actions
    # The path is kept for the volunteers' summary, in the original language.
    assert store.recent_exchanges(person.id, limit=1)[0]["text"] == (
        "[family-join: Refugee status › My children under 18 › More than 6 months ago]")


def test_a_guided_conversation_can_end_in_a_ticket(assistant, store):
    person = store.person("test", "guide-ticket")
    [end, ticket] = assistant.on_button(person, "guide:leave-centre:1")
    assert end.kind == "guide" and ticket.kind == "ticket"
    assert store.open_ticket_of(person.id).topic == "housing"


def test_guided_conversations_are_offered_from_topics(assistant):
    assert "guide:school-enrol:" in [b.action for b in assistant.topics("en").buttons]
    assert [b.action for b in assistant.topic("school", "en").buttons][0] == "guide:school-enrol:"


def test_a_guided_conversation_in_another_language_is_marked_as_machine_made(assistant, store):
    person = store.person("test", "guide-ti")
    assistant.on_button(person, "lang:ti")
    [question] = assistant.on_button(store.person("test", "guide-ti"), "guide:school-enrol:")
    assert question.lang == "ti" and question.notes
    assert all(b.label.isascii() is False for b in question.buttons[:3])


@pytest.mark.parametrize("action", ["guide:school-enrol:9", "guide:school-enrol:0x", "guide:gone:"])
def test_a_stale_step_of_a_guided_conversation_is_explained(assistant, store, action):
    [reply] = assistant.on_button(store.person("test", "guide-stale"), action)
    assert reply.kind == "info" and "no longer valid" in reply.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_privacy_says_what_is_kept_and_for_how_long_in_every_language(engine, store, lang):
    reply = Assistant(engine, store, retention_days=90).privacy(lang)
    assert reply.lang == lang and reply.text.count("90") == 3 and "/forget" in reply.text
    assert len(reply.text.splitlines()) == 7
    if lang != "en":
        assert reply.text != Assistant(engine, store, retention_days=90).privacy("en").text


def test_ticket_creation_is_limited_but_an_emergency_always_gets_through(assistant, store):
    person = store.person("t", "busy")
    for _ in range(5):
        assert assistant.human(person, "en").kind == "ticket"
        assistant.cancel(person, "en")
    assert "many times today" in assistant.human(person, "en").text
    assert store.open_ticket_of(person.id) is None
    [reply] = assistant.on_text(person, "I want to kill myself")
    assert reply.kind == "emergency" and store.open_ticket_of(person.id).emergency
