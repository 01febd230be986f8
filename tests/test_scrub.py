import pytest

from bot.scrub import scrub


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
])
def test_personal_data_is_replaced(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "brief van 03/12/2024 over 1250 euro", "ik woon op nummer 12, 9000 Gent", "huurwaarborg 3 maanden",
    "dossier 8.123.456", "بدي اعمل لم شمل", "كم 2000 يورو",
])
def test_ordinary_questions_are_left_alone(text):
    assert scrub(text) == text
