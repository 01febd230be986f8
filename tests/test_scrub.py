import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.people.scrub import scrub


@pytest.mark.parametrize("text, expected", [
    ("bel me op 0470 12 34 56 aub", "bel me op [phone] aub"),
    ("+32 470/12.34.56", "[phone]"),
    ("0032 2 123 45 67", "[phone]"),
    ("رقمي ٠٤٧٠١٢٣٤٥٦", "رقمي [phone]"),
    ("mail amina.k+ocmw@gmail.com now", "mail [e-mail] now"),
    ("IBAN BE68 5390 0754 7034 voor de huur", "IBAN [IBAN] voor de huur"),
    ("be68539007547034", "[IBAN]"),
    ("rijksregister 85.07.30-033.28", "rijksregister [national number]"),
    ("NN 85073003328", "NN [national number]"),
    ("dossier 85.07.30-033.28", "dossier [national number]"),
    ("mijn dossier: 0470 12 34 56", "mijn dossier: [phone]"),
])
def test_personal_data_is_replaced(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("bel 0470\u00a012\u00a034\u00a056 aub", "bel [phone] aub"),  # no-break spaces
    ("0470\u202f12\u202f34\u202f56", "[phone]"),  # narrow no-break spaces
    ("0470–12–34–56", "[phone]"),  # en dashes
    ("0470—123—456", "[phone]"),  # em dashes
    ("+32\u2011470\u2011123\u2011456", "[phone]"),  # non-breaking hyphens
    ("85−07−30−033−28", "[national number]"),  # minus signs
    ("０４７０ １２ ３４ ５６", "[phone]"),  # full-width digits and ideographic spaces
    ("0470\u200b12\u200c34\u200d56", "[phone]"),  # zero-width space, non-joiner, joiner
    ("04\u206070\ufeff123456", "[phone]"),  # word joiner, byte order mark
    ("\u200f0470 12 34 56\u200e", "[phone]"),  # direction marks
    ("amina\u2067@\u2069gmail.com", "[e-mail]"),  # direction isolates
    ("ami\u00adna@gmail.com", "[e-mail]"),  # soft hyphen
    ("BE68\u00a05390\u00a00754\u00a07034", "[IBAN]"),
])
def test_invisible_and_look_alike_characters_hide_nothing(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("470 12 34 56", "[phone]"),
    ("bel 32 470 12 34 56", "bel [phone]"),
    ("32 (0)470 12 34 56", "[phone]"),
    ("my number 470123456", "my number [phone]"),
    ("call 0470123456", "call [phone]"),
    ("470/12.34.56", "[phone]"),
    ("رقمي ٤٧٠١٢٣٤٥٦", "رقمي [phone]"),
    ("tel0470123456", "tel[phone]"),
])
def test_phone_numbers_without_zero_or_plus(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("amina at example dot com", "[e-mail]"),
    ("mail amina @ example.com", "mail [e-mail]"),
    ("amina(at)example.com", "[e-mail]"),
    ("amina [at] example [dot] com", "[e-mail]"),
    ("amina (at) example (dot) co (dot) uk", "[e-mail]"),
    ("amina＠example.com", "[e-mail]"),  # full-width at
    ("AMINA AT GMAIL DOT COM", "[e-mail]"),
])
def test_e_mail_addresses_written_out(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("BE68-5390-0754-7034", "[IBAN]"),
    ("BE68.5390.0754.7034", "[IBAN]"),
    ("iban be68 5390 0754 7034", "iban [IBAN]"),
    ("NL91 ABNA 0417 1643 00", "[IBAN]"),
    ("nl91abna0417164300", "[IBAN]"),
])
def test_ibans_in_any_spacing_and_case(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "case number 0012345678", "my case number is 0012345678", "dossiernummer 0012345678",
    "numéro de dossier 0012345678", "OV-nummer 0012345678", "dossier nr. 0012345678", "réf. 2024/12345",
])
def test_case_and_file_numbers_are_kept(text):
    assert scrub(text) == text


@pytest.mark.parametrize("text", [
    "brief van 03/12/2024 over 1250 euro", "ik woon op nummer 12, 9000 Gent", "huurwaarborg 3 maanden",
    "dossier 8.123.456", "بدي اعمل لم شمل", "كم 2000 يورو",
    "op 03/12/2024 1250 euro betaald", "afspraak op 2026-03-12 om 10:30", "12/03/2026", "€ 1.234,56", "2323 euro",
    "Rue de la Loi 16, 1000 Brussel", "Kerkstraat 470, 9000 Gent", "in 2025 en 2026", "tussen 450 en 500 euro",
    "see you at 5.30", "apply at myminfin.be",
])
def test_ordinary_questions_are_left_alone(text):
    assert scrub(text) == text


def test_long_words_are_scrubbed_in_linear_time():
    # Together a second or two; a pattern that backtracks over the same span would take minutes on any one.
    texts = [
        "a" * 200_000, "a." * 100_000, "1 " * 100_000, "0 " * 100_000, "0" * 100_000, "x@" * 50_000,
        "BE" + "1" * 100_000, "a@b." * 50_000, "a at b dot " * 20_000, "x [at] " * 30_000, "dossier " * 25_000,
        "٤" * 100_000, "0–" * 100_000, " " * 200_000, ("a.b@c" + "1 " * 5 + "BE12" + " dot ") * 10_000,
    ]
    finished = []
    worker = threading.Thread(target=lambda: finished.extend(scrub(text) for text in texts), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert len(finished) == len(texts)


# Personal data, what is kept, placeholders and the characters around them, so that random texts put
# matches next to each other and to placeholders.
PIECES = st.sampled_from([
    "0470 12 34 56", "0470123456", "470123456", "+32", "32 ", "BE68 5390 0754 7034", "BE68", "85.07.30-033.28",
    "amina@gmail.com", "amina", " at ", "(at)", "gmail", " dot ", ".com", "dossier ", "03/12/2024", "[phone]", "[IBAN]",
    *"0123456789 .-/()+@[]aBe", "٤", "–", "\u00a0", "\u200b", "\u0301",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_scrub_is_stable_on_texts_close_to_personal_data(text):
    assert scrub(scrub(text)) == scrub(text)
