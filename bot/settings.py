"""Configuration of the Telegram bot, read from environment variables.

Only ``cli.py`` hands the environment in; everything else receives a
``Settings``. A missing or malformed setting raises ``SettingsError`` naming
the variable, so the bot stops with one clear line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_time, get_day_names

from bot.understanding.languages import LANGUAGES

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class VolunteerGroup:
    """A volunteers' supergroup and the tickets routed to it (by language or
    topic id); a group without routes takes everything else."""

    chat_id: int
    routes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OfficeHours:
    """When volunteers usually answer: days of the week and a time span."""

    days: frozenset[int] = frozenset(range(5))
    opens: dt.time = dt.time(9)
    closes: dt.time = dt.time(17)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Brussels"))

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.opens <= local.time() < self.closes

    def describe(self, lang: str) -> str:
        """E.g. "ma.–vr. 09:00–17:00" in the reader's language."""
        names = get_day_names("abbreviated", locale=lang)
        days = sorted(self.days)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            span = f"{names[days[0]]}–{names[days[-1]]}"
        else:
            span = ", ".join(names[d] for d in days)
        hours = f"{format_time(self.opens, 'HH:mm', locale=lang)}–{format_time(self.closes, 'HH:mm', locale=lang)}"
        return f"{span} {hours}"


@dataclass(frozen=True)
class Settings:
    token: str
    groups: tuple[VolunteerGroup, ...]
    admins: frozenset[int]
    data_dir: Path
    office_hours: OfficeHours = OfficeHours()
    reminder_minutes: int = 30
    # An unclaimed emergency ticket is recalled this soon, and again as often, until someone claims it.
    emergency_reminder_minutes: int = 3
    retention_days: int = 180
    coalesce_seconds: float = 3.0
    volunteer_language: str = "en"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    api_base_url: str | None = None
    api_file_url: str | None = None

    def group_for(self, language: str | None, topic: str | None) -> int:
        """The volunteers' group a ticket in ``language`` about ``topic`` goes to."""
        for group in self.groups:
            if group.routes and (language in group.routes or topic in group.routes):
                return group.chat_id
        return next((g.chat_id for g in self.groups if not g.routes), self.groups[0].chat_id)


def _required(env: Mapping[str, str], name: str, example: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set (for example {name}={example})")
    return value


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not re.fullmatch(r"\d+", value) or int(value) < minimum:
        raise SettingsError(f"{name} must be a whole number of at least {minimum}, not {value!r}")
    return int(value)


def _language(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    if value not in LANGUAGES:
        raise SettingsError(f"{name} must be one of {' '.join(LANGUAGES)}, not {value!r}")
    return value


def _groups(text: str) -> tuple[VolunteerGroup, ...]:
    groups = []
    for item in text.split():
        chat, _, routes = item.partition("=")
        if not re.fullmatch(r"-100\d{5,}", chat):
            raise SettingsError(
                f"WEGWIJS_VOLUNTEER_GROUPS: {chat!r} is not a supergroup id (they look like -1001234567890)")
        groups.append(VolunteerGroup(int(chat), frozenset(r for r in routes.split(",") if r)))
    if not any(not group.routes for group in groups):
        raise SettingsError("WEGWIJS_VOLUNTEER_GROUPS needs one group without routes, for everything else")
    return tuple(groups)


def _office_hours(text: str, zone_name: str) -> OfficeHours:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"WEGWIJS_TIMEZONE: unknown time zone {zone_name!r} (for example Europe/Brussels)") from None
    found = re.fullmatch(r"\s*([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})\s*", text.lower())
    if not found or found[1] not in _DAYS or (found[2] and found[2] not in _DAYS):
        raise SettingsError(f"WEGWIJS_OFFICE_HOURS must look like 'mon-fri 09:00-17:00', not {text!r}")
    first = _DAYS.index(found[1])
    last = _DAYS.index(found[2]) if found[2] else first
    try:
        opens, closes = dt.time(int(found[3]), int(found[4])), dt.time(int(found[5]), int(found[6]))
    except ValueError:
        raise SettingsError(f"WEGWIJS_OFFICE_HOURS has an impossible time: {text!r}") from None
    days = frozenset(d % 7 for d in range(first, last + 1 if last >= first else last + 8))
    return OfficeHours(days, opens, closes, zone)


def settings_from(env: Mapping[str, str], data_dir: Path) -> Settings:
    """Read the bot's settings from ``env``; raise SettingsError naming the first bad one."""
    token = _required(env, "WEGWIJS_TELEGRAM_TOKEN", "123456:ABC-from-BotFather")
    if not re.fullmatch(r"\d+:[\w-]{10,}", token):
        raise SettingsError("WEGWIJS_TELEGRAM_TOKEN does not look like a token from BotFather (digits:letters)")
    groups = _groups(_required(env, "WEGWIJS_VOLUNTEER_GROUPS", "-1001234567890"))
    admins_text = env.get("WEGWIJS_ADMINS", "").replace(",", " ").split()
    if not all(re.fullmatch(r"\d+", a) for a in admins_text):
        raise SettingsError(f"WEGWIJS_ADMINS must be Telegram user ids separated by commas, not {env['WEGWIJS_ADMINS']!r}")
    for group in groups:
        unknown = [r for r in group.routes if r not in LANGUAGES and not re.fullmatch(r"[a-z0-9-]+", r)]
        if unknown:
            raise SettingsError(f"WEGWIJS_VOLUNTEER_GROUPS: {unknown[0]!r} is neither a language code nor a topic id")
    webhook_url = env.get("WEGWIJS_WEBHOOK_URL", "").strip() or None
    webhook_secret = env.get("WEGWIJS_WEBHOOK_SECRET", "").strip() or None
    if webhook_url and not webhook_url.startswith("https://"):
        raise SettingsError("WEGWIJS_WEBHOOK_URL must be an https:// address Telegram can reach")
    if webhook_url and not (webhook_secret and re.fullmatch(r"[A-Za-z0-9_-]{16,256}", webhook_secret)):
        raise SettingsError("WEGWIJS_WEBHOOK_SECRET must be 16-256 letters, digits, _ or - when a webhook is used")
    return Settings(
        token=token,
        groups=groups,
        admins=frozenset(int(a) for a in admins_text),
        data_dir=data_dir,
        office_hours=_office_hours(env.get("WEGWIJS_OFFICE_HOURS", "mon-fri 09:00-17:00"),
                                   env.get("WEGWIJS_TIMEZONE", "Europe/Brussels")),
        reminder_minutes=_integer(env, "WEGWIJS_REMINDER_MINUTES", 30, minimum=1),
        emergency_reminder_minutes=_integer(env, "WEGWIJS_EMERGENCY_REMINDER_MINUTES", 3, minimum=1),
        retention_days=_integer(env, "WEGWIJS_RETENTION_DAYS", 180, minimum=1),
        coalesce_seconds=_integer(env, "WEGWIJS_COALESCE_SECONDS", 3),
        volunteer_language=_language(env, "WEGWIJS_VOLUNTEER_LANGUAGE", "en"),
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_listen=env.get("WEGWIJS_WEBHOOK_LISTEN", "0.0.0.0").strip() or "0.0.0.0",
        webhook_port=_integer(env, "WEGWIJS_WEBHOOK_PORT", 8443, minimum=1),
        api_base_url=env.get("WEGWIJS_BOT_API_URL", "").strip() or None,
        api_file_url=env.get("WEGWIJS_BOT_API_FILE_URL", "").strip() or None,
    )
