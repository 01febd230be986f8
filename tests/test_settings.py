"""Settings from the environment: every bad value is named, routing works."""

import datetime as dt
from pathlib import Path

import pytest

from bot.settings import SettingsError, settings_from

GOOD = {"WEGWIJS_TELEGRAM_TOKEN": "123456:ABCDEFGHIJKLMNOP", "WEGWIJS_VOLUNTEER_GROUPS": "-1001234567890"}


def read(**changes):
    return settings_from({**GOOD, **changes}, Path("/tmp/data"))


def test_defaults_are_sensible():
    settings = read()
    assert settings.groups[0].chat_id == -1001234567890 and settings.admins == frozenset()
    assert settings.reminder_minutes == 30 and settings.webhook_url is None
    assert settings.office_hours.describe("en") == "Mon–Fri 09:00–17:00"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("WEGWIJS_TELEGRAM_TOKEN", "", "WEGWIJS_TELEGRAM_TOKEN is not set"),
    ("WEGWIJS_TELEGRAM_TOKEN", "not a token", "does not look like a token"),
    ("WEGWIJS_VOLUNTEER_GROUPS", "12345", "is not a supergroup id"),
    ("WEGWIJS_VOLUNTEER_GROUPS", "-1001234567890=ar", "needs one group without routes"),
    ("WEGWIJS_ADMINS", "alice", "WEGWIJS_ADMINS must be Telegram user ids"),
    ("WEGWIJS_OFFICE_HOURS", "always", "must look like 'mon-fri 09:00-17:00'"),
    ("WEGWIJS_OFFICE_HOURS", "mon-fri 25:00-17:00", "impossible time"),
    ("WEGWIJS_TIMEZONE", "Mars/Olympus", "unknown time zone"),
    ("WEGWIJS_REMINDER_MINUTES", "soon", "WEGWIJS_REMINDER_MINUTES must be a whole number"),
    ("WEGWIJS_WEBHOOK_URL", "http://example.org/hook", "must be an https:// address"),
    ("WEGWIJS_VOLUNTEER_LANGUAGE", "de", "WEGWIJS_VOLUNTEER_LANGUAGE must be one of"),
])
def test_a_bad_setting_is_named(name, value, message):
    with pytest.raises(SettingsError, match=message):
        read(**{name: value})


def test_a_webhook_needs_a_secret():
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        read(WEGWIJS_WEBHOOK_URL="https://bot.example.org/hook")
    assert read(WEGWIJS_WEBHOOK_URL="https://bot.example.org/hook",
                WEGWIJS_WEBHOOK_SECRET="s3cret-s3cret-s3cret").webhook_secret == "s3cret-s3cret-s3cret"


def test_tickets_are_routed_by_language_then_topic():
    settings = read(WEGWIJS_VOLUNTEER_GROUPS="-1001111111111 -1002222222222=ar,fa,ps -1003333333333=family")
    assert settings.group_for("ar", "housing") == -1002222222222
    assert settings.group_for("nl", "family") == -1003333333333
    assert settings.group_for("nl", "housing") == -1001111111111


def test_office_hours_in_the_configured_time_zone():
    hours = read(WEGWIJS_OFFICE_HOURS="sat-sun 10:00-12:00").office_hours
    saturday_11_in_brussels = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.timezone.utc)
    assert hours.is_open(saturday_11_in_brussels)
    assert not hours.is_open(saturday_11_in_brussels + dt.timedelta(hours=2))
