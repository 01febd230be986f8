"""Wiring: one place that builds the python-telegram-bot Application, and
runs it by long polling or webhook."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.assistant import Assistant
from bot.settings import Settings
from bot.store import Store
from bot.telegram.http import AiohttpRequest
from bot.telegram.people import PersonHandlers
from bot.telegram.relay import Relay
from bot.telegram.volunteers import VolunteerHandlers

log = logging.getLogger(__name__)

CONNECTIONS = 8
VOLUNTEER_COMMANDS = ("claim", "release", "close", "note", "queue")
_MEDIA = (filters.PHOTO | filters.Document.ALL | filters.VOICE | filters.VIDEO | filters.VIDEO_NOTE
          | filters.AUDIO)


class PerChatOrder(BaseUpdateProcessor):
    """Updates of different chats run concurrently; those of one chat in
    order, so a person's burst is answered and relayed as it was typed."""

    def __init__(self, max_concurrent_updates: int = 64):
        super().__init__(max_concurrent_updates)
        self._locks: defaultdict[int | None, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat.id if isinstance(update, Update) and update.effective_chat else None
        lock = self._locks[chat]
        async with lock:
            await coroutine
        if not lock.locked() and self._locks.get(chat) is lock:
            del self._locks[chat]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def build_application(settings: Settings, assistant: Assistant, store: Store, *,
                      rate_limiter: AIORateLimiter | None = None) -> Application:
    """The bot with every handler, job and limit; not yet started."""
    builder = (ApplicationBuilder().token(settings.token).concurrent_updates(PerChatOrder())
               # One connection (the default) would serialise every request of every chat.
               .request(AiohttpRequest(CONNECTIONS)).get_updates_request(AiohttpRequest(1))
               # Telegram takes about 20 messages a minute into one group.
               .rate_limiter(rate_limiter or AIORateLimiter(group_max_rate=20, group_time_period=60, max_retries=3)))
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if settings.api_file_url:
        builder = builder.base_file_url(settings.api_file_url)
    application = builder.post_init(_announce_commands).build()

    relay = Relay(application.bot, store, assistant, settings, application.job_queue)
    people = PersonHandlers(assistant, store, relay)
    volunteers = VolunteerHandlers(store, relay, settings)
    private = filters.ChatType.PRIVATE
    groups = filters.Chat(chat_id=[group.chat_id for group in settings.groups])

    application.add_handler(MessageHandler(filters.ChatType.GROUPS & ~groups, volunteers.leave_foreign_group))
    application.add_handler(CallbackQueryHandler(volunteers.button, pattern=r"^t:"), group=0)
    application.add_handler(MessageHandler(private & filters.COMMAND, people.command))
    application.add_handler(MessageHandler(private & filters.TEXT, people.text))
    application.add_handler(MessageHandler(private & _MEDIA, people.media))
    application.add_handler(CallbackQueryHandler(people.button))
    application.add_handler(CommandHandler(list(VOLUNTEER_COMMANDS), volunteers.command, filters=groups))
    application.add_handler(MessageHandler(groups & ~filters.COMMAND & (filters.TEXT | _MEDIA), volunteers.message))
    application.add_error_handler(people.on_error)

    application.job_queue.run_once(relay.resume, 0)
    application.job_queue.run_repeating(relay.remind_waiting, interval=60, first=60, name="remind_waiting")
    return application


async def _announce_commands(application: Application) -> None:
    await application.bot.set_my_commands([BotCommand(name, name) for name in Assistant.COMMANDS])


def use_fast_event_loop() -> None:
    """uvloop where it exists (not on Windows)."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run(settings: Settings, assistant: Assistant, store: Store) -> int:
    """Run until stopped; a failing start (Telegram unreachable, a 500 on
    getMe) is retried with back-off instead of ending the process."""
    use_fast_event_loop()
    delay = 1.0
    while True:
        application = build_application(settings, assistant, store)
        started = time.monotonic()
        try:
            if settings.webhook_url:
                # Telegram's requests without the secret token header are refused (403) by the webhook server.
                application.run_webhook(
                    listen=settings.webhook_listen, port=settings.webhook_port, webhook_url=settings.webhook_url,
                    url_path=urlparse(settings.webhook_url).path.lstrip("/"), secret_token=settings.webhook_secret,
                    allowed_updates=Update.ALL_TYPES, close_loop=False)
            else:
                application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
            return 0
        except InvalidToken:
            log.error("Telegram refused WEGWIJS_TELEGRAM_TOKEN: check it with BotFather")
            return 1
        except (NetworkError, TelegramError) as error:
            if time.monotonic() - started > 300:
                delay = 1.0
            log.warning("could not start (%s); trying again in %.0f s", error, delay)
            time.sleep(delay)
            delay = min(delay * 2, 60.0)
