from bot.understanding.normalize import clean, fold


def test_case_and_latin_accents_fold_away():
    assert fold("Garantie LOCATIVE à Bruxelles") == "garantie locative a bruxelles"
    assert fold("Başvuru şartları ÇOK ıslak") == "basvuru sartlari cok islak"


def test_arabic_letter_variants_become_one():
    assert fold("أإآا") == "اااا"
    assert fold("مدرسة") == fold("مدرسه")
    assert fold("كتاب") == fold("کتاب")  # Arabic kaf and Persian keheh
    assert fold("علي") == fold("علی") == fold("على")  # yeh, Persian yeh, alef maksura


def test_tashkeel_tatweel_and_zero_width_vanish():
    assert fold("مَدْرَسَةٌ") == fold("مدرسة")
    assert fold("مـــدرســة") == fold("مدرسة")
    assert fold("می\u200cخواهم") == fold("میخواهم")
    assert fold("huur\u200bwaarborg\u2067") == "huurwaarborg"


def test_digits_of_every_script_become_ascii():
    assert fold("٣ أشهر") == "3 اشهر"
    assert fold("۲ ماه") == "2 ماه"


def test_cyrillic_yo_folds_to_ye():
    assert fold("Ещё") == fold("еще")


def test_punctuation_emoji_and_spacing_are_separators():
    assert fold("huurwaarborg,ocmw??  👍 (gent)").split() == ["huurwaarborg", "ocmw", "gent"]
    assert fold("ሰላም፣ ከመይ ኣለኹም፧") == "ሰላም ከመይ ኣለኹም"


def test_clean_keeps_the_letters_language_identification_needs():
    assert clean("  Ўі  ї\u200b ") == "ўі ї"
    assert "ی" in clean("علی") and "ې" in clean("ښې")


def test_empty_and_symbol_only_input():
    assert fold("") == ""
    assert fold("?!… 🙏🙏") == ""
