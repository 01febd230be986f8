"""The real python-telegram-bot Application started against the fake Bot
API server: the harness of the end-to-end tests (the ``bot`` fixture is in
conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path

from bot.assistant import Assistant
from bot.publishing import Publisher
from bot.settings import OfficeHours, Settings, VolunteerGroup
from bot.people.store import Store
from bot.telegram.app import build_application
from bot.telegram.lanes import UrgentFirstRateLimiter
from tests.fake_telegram import TOKEN, FakeTelegram

PERSON, VOLUNTEER, STRANGER = 4242, 777, 555


class RunningBot:
    """The Application started against the fake server; restartable on the same store."""

    def __init__(self, fake: FakeTelegram, engine, store: Store, settings: Settings,
                 sources: tuple[Path, Path] | None = None, limiter: UrgentFirstRateLimiter | None = None):
        self.fake, self.engine, self.store, self.settings = fake, engine, store, settings
        self.sources = sources
        self.limiter = limiter
        self.application = None
        self.assistant = None

    async def start(self) -> None:
        self.assistant = Assistant(self.engine, self.store, office_hours=self.settings.office_hours,
                                   retention_days=self.settings.retention_days)
        publisher = Publisher(self.assistant, *self.sources) if self.sources else None
        # No throttling in tests, but Telegram's RetryAfter is still obeyed.
        limiter = self.limiter or UrgentFirstRateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=2)
        self.application = build_application(self.settings, assistant=self.assistant, store=self.store,
                                             rate_limiter=limiter, publisher=publisher)
        await self.application.initialize()
        await self.application.start()
        await self.application.updater.start_polling(poll_interval=0.0, timeout=1)

    async def stop(self) -> None:
        await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()

    async def run_job(self, name: str) -> None:
        """Run one of the bot's repeating jobs now (redeliver, watch_files, retention…)."""
        [job] = self.application.job_queue.get_jobs_by_name(name)
        await job.run(self.application)


@contextlib.asynccontextmanager
async def started_bot(engine, tmp_path: Path, *, forum: bool = True, sources: tuple[Path, Path] | None = None,
                      limiter: UrgentFirstRateLimiter | None = None, **changes):
    """A fake server and the bot started against it; ``changes`` override
    settings; ``limiter`` replaces the tests' unthrottled rate limiter."""
    fake = FakeTelegram(forum=forum)
    await fake.start()
    fake.add_member(VOLUNTEER)
    store = Store(tmp_path / "bot.sqlite3")
    settings = Settings(**{
        "token": TOKEN, "groups": (VolunteerGroup(fake.group_id),), "admins": frozenset(), "data_dir": tmp_path,
        "office_hours": ALWAYS_OPEN, "coalesce_seconds": 0, "api_base_url": fake.base_url,
        "api_file_url": fake.base_file_url, **changes})
    running = RunningBot(fake, engine, store, settings, sources, limiter)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        await fake.stop()
        store.close()


ALWAYS_OPEN = OfficeHours(days=frozenset(range(7)), opens=dt.time(0), closes=dt.time(23, 59, 59))


async def until(condition, timeout: float = 5.0) -> None:
    """Wait for the bot's own bookkeeping (the store is written after Telegram answers)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def open_ticket(bot: RunningBot) -> int:
    """The person asks for a volunteer; returns the forum topic's thread id."""
    bot.fake.person_says(PERSON, "/human")
    [topic] = await bot.fake.wait_for("createForumTopic")
    await bot.fake.wait_for("sendMessage", chat_id=bot.fake.group_id)
    return (await bot.fake.wait_for("sendMessage", chat_id=bot.fake.group_id))[0].params["message_thread_id"]


