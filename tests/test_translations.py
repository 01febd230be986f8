"""python -m bot translations export|import: a translator's round trip through a PO file."""

import datetime as dt

from babel.messages.pofile import read_po, write_po

from bot.cli import main
from bot.content.coverage import translation_rows
from bot.content.conversations import load_conversations
from bot.content.knowledge import load_knowledge
from bot.content.translations import import_catalog, numbers_in
from tests.test_knowledge import topic_file, write

ENTRY = """\
  - id: housing.rental-deposit
    topic: housing
    title: {en: Rental deposit, ar: ضمانة الإيجار}
    questions:
      en: [how much deposit can the landlord ask]
    answer:
      en: |
        At most 3 months of rent in Flanders (2026).
        • Call 0800 30 030 for help.
      ar: |
        في فلاندرز 3 أشهر إيجار على الأكثر (2026).
        • اتصل بالرقم 0800 30 030 للمساعدة.
    translation: {en: original, ar: machine}
    links: [{title: Woninghuur, url: "https://www.woninghuur.vlaanderen/huurwaarborg-0"}]
    sources: ["https://www.woninghuur.vlaanderen/huurwaarborg-0"]
    reviewed: 2026-11-01
"""

CONVERSATION = """\
id: deposit
title: {en: Your deposit, ar: ضمانتك}
translation: {en: original, ar: machine}
reviewed: 2026-11-01
sources: ["https://www.woninghuur.vlaanderen/huurwaarborg-0"]
start: where
steps:
  where:
    ask: {en: Where do you live?, ar: أين تسكن؟}
    choices:
    - label: {en: Flanders, ar: فلاندرز}
      next: end
  end:
    say: {en: At most 3 months., ar: 3 أشهر على الأكثر.}
"""


def project(tmp_path):
    knowledge, conversations = tmp_path / "knowledge", tmp_path / "conversations"
    knowledge.mkdir()
    conversations.mkdir()
    write(knowledge, "housing.yaml", topic_file(ENTRY))
    write(conversations, "deposit.yaml", CONVERSATION)
    return knowledge, conversations


def export(tmp_path, knowledge, conversations, lang="ar"):
    po_file = tmp_path / f"{lang}.po"
    assert main(["--knowledge", str(knowledge), "--conversations", str(conversations),
                 "translations", "export", "--lang", lang, "--output", str(po_file)]) == 0
    with po_file.open("rb") as file:
        return po_file, read_po(file)


def save(catalog, po_file):
    with po_file.open("wb") as file:
        write_po(file, catalog, width=0)


def edit(catalog, context, text=None):
    message = next(m for m in catalog if m.context == context)
    if text is not None:
        message.string = text
    message.flags.discard("fuzzy")


def statuses(knowledge, conversations):
    base = load_knowledge(knowledge).knowledge
    return dict(translation_rows(base, load_conversations(conversations, base)[0]))


def test_the_export_holds_every_text_with_its_place_and_machine_texts_are_fuzzy(tmp_path):
    knowledge, conversations = project(tmp_path)
    _, catalog = export(tmp_path, knowledge, conversations)
    messages = {m.context: m for m in catalog if m.id}
    assert set(messages) == {"topic housing title", "housing.rental-deposit title", "housing.rental-deposit answer",
                             "conversation deposit title", "conversation deposit where ask",
                             "conversation deposit where choice 1 label", "conversation deposit end say"}
    answer = messages["housing.rental-deposit answer"]
    assert answer.id.startswith("At most 3 months") and answer.string.startswith("في فلاندرز")
    assert answer.fuzzy and "python-format" not in answer.flags  # "%" is not a format here
    assert answer.locations == [("housing.yaml", 5)]


def test_a_round_trip_writes_the_reviewed_texts_back_and_keeps_the_rest_of_the_file(tmp_path):
    knowledge, conversations = project(tmp_path)
    before = (knowledge / "housing.yaml").read_text()
    po_file, catalog = export(tmp_path, knowledge, conversations)
    edit(catalog, "housing.rental-deposit answer", "في فلاندرز: 3 أشهر من الإيجار كحد أقصى (2026).\n• للمساعدة: 0800 30 030.")
    for context in ("conversation deposit title", "conversation deposit where ask",
                    "conversation deposit where choice 1 label", "conversation deposit end say"):
        edit(catalog, context)
    save(catalog, po_file)

    result = import_catalog(po_file, knowledge, conversations, today=dt.date(2026, 12, 3))

    assert not result.refused and result.imported == 5
    after = (knowledge / "housing.yaml").read_text()
    assert "في فلاندرز: 3 أشهر من الإيجار كحد أقصى (2026).\n        • للمساعدة: 0800 30 030.\n" in after
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert len(changed) == 3  # the two lines of the answer and its status; nothing else moved
    assert any(line.startswith("    translation: {en: original, ar: {status: reviewed, date: 2026-12-03, original:")
               for line in changed)
    entry = load_knowledge(knowledge).knowledge.entries["housing.rental-deposit"]
    assert entry.translation["ar"] == "reviewed" and entry.reviews["ar"].date == dt.date(2026, 12, 3)
    rows = statuses(knowledge, conversations)
    assert rows["housing.rental-deposit"]["ar"] == "reviewed"
    assert rows["conversation deposit"]["ar"] == "reviewed"  # every one of its texts came back


def test_a_changed_number_refuses_the_whole_file(tmp_path, capsys):
    knowledge, conversations = project(tmp_path)
    before = (knowledge / "housing.yaml").read_text(), (conversations / "deposit.yaml").read_text()
    po_file, catalog = export(tmp_path, knowledge, conversations)
    edit(catalog, "conversation deposit end say")  # fine on its own
    edit(catalog, "housing.rental-deposit answer", "في فلاندرز 3 أشهر إيجار على الأكثر (2026).\n• اتصل بالرقم 0800 30 300.")
    save(catalog, po_file)

    assert main(["--knowledge", str(knowledge), "--conversations", str(conversations),
                 "translations", "import", str(po_file)]) == 1

    error = capsys.readouterr().err
    assert "'housing.rental-deposit answer': the numbers differ from the original's" in error
    assert "080030030" in error and "080030300" in error and "Nothing was imported" in error
    assert ((knowledge / "housing.yaml").read_text(), (conversations / "deposit.yaml").read_text()) == before


def test_changing_the_english_after_a_review_asks_for_a_new_check(tmp_path):
    knowledge, conversations = project(tmp_path)
    po_file, catalog = export(tmp_path, knowledge, conversations)
    edit(catalog, "housing.rental-deposit answer")
    save(catalog, po_file)
    import_catalog(po_file, knowledge, conversations, today=dt.date(2026, 12, 3))
    path = knowledge / "housing.yaml"
    path.write_text(path.read_text().replace("At most 3 months of rent", "At most 3 months' rent"))

    assert statuses(knowledge, conversations)["housing.rental-deposit"]["ar"] == "outdated"
    # the old file's translation is of another English text: it is not written
    result = import_catalog(po_file, knowledge, conversations)
    assert result.imported == 0 and "its English changed after the export" in result.problems[0].message
    _, catalog = export(tmp_path, knowledge, conversations)
    assert next(m for m in catalog if m.context == "housing.rental-deposit answer").fuzzy


def test_a_file_of_an_unknown_language_is_refused(tmp_path):
    knowledge, conversations = project(tmp_path)
    po_file, catalog = export(tmp_path, knowledge, conversations)
    save(catalog, po_file)
    po_file.write_text(po_file.read_text().replace('"Language: ar\\n"', '"Language: de\\n"'))
    result = import_catalog(po_file, knowledge, conversations)
    assert result.refused and "'de' is not one of" in result.problems[0].message


def test_numbers_are_compared_whatever_their_digits_and_separators():
    assert numbers_in("€2,360 gross (2026), call 0800 30 030") == numbers_in("2.360 € brut (2026), appelez le 0800 30 030")
    assert numbers_in("۲٬۳۶۰ یورو") == numbers_in("€2,360")
    assert numbers_in("€2,360") != numbers_in("€2,630")
    assert numbers_in("ages 2½ to 4") == numbers_in("van 2,5 tot 4 jaar")
    assert numbers_in("free, 24/7") == numbers_in("gratuit, 24h/24") == numbers_in("24 h/24 et 7 j/7") == numbers_in("7/24")


def test_a_file_a_machine_translated_is_imported_as_machine_translation(tmp_path):
    knowledge, conversations = project(tmp_path)
    po_file, catalog = export(tmp_path, knowledge, conversations)
    edit(catalog, "housing.rental-deposit answer", "في فلاندرز 3 أشهر إيجار كحد أقصى (2026).\n• الرقم 0800 30 030.")
    save(catalog, po_file)
    assert main(["--knowledge", str(knowledge), "--conversations", str(conversations),
                 "translations", "import", "--machine", str(po_file)]) == 0
    entry = load_knowledge(knowledge).knowledge.entries["housing.rental-deposit"]
    assert entry.translation["ar"] == "machine" and entry.reviews == {}
    assert entry.answer["ar"].startswith("في فلاندرز 3 أشهر إيجار كحد أقصى")


def test_a_knowledge_base_with_errors_gets_nothing_written(tmp_path):
    knowledge, conversations = project(tmp_path)
    po_file, catalog = export(tmp_path, knowledge, conversations)
    edit(catalog, "housing.rental-deposit answer")
    save(catalog, po_file)
    path = knowledge / "housing.yaml"
    path.write_text(path.read_text().replace("  - id: housing.rental-deposit\n",
                                             "  - id: housing.broken\n    kind: poem\n  - id: housing.rental-deposit\n"))
    before = path.read_text()
    result = import_catalog(po_file, knowledge, conversations)
    assert result.refused and "fix them first" in result.problems[0].message
    assert path.read_text() == before
