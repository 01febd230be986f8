"""Wiring: one place that builds the python-telegram-bot Application, and
runs it by long polling or webhook."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.assistant import Assistant
from bot.publishing import Publisher
from bot.settings import Settings
from bot.people.store import Store
from bot.telegram.http import AiohttpRequest
from bot.telegram.inbox import InboxRequest, UpdateOrder, replay
from bot.telegram.lanes import UrgentFirstRateLimiter
from bot.telegram.people import PersonHandlers
from bot.telegram.relay import REDELIVERY_SECONDS, Relay
from bot.telegram.volunteers import VolunteerHandlers
from bot.telegram.webhook import run_webhook

log = logging.getLogger(__name__)

CONNECTIONS = 8
WATCH_SECONDS = 10
RETENTION_INTERVAL = dt.timedelta(hours=6)
VOLUNTEER_COMMANDS = ("claim", "release", "close", "note", "queue")
_MEDIA = (filters.PHOTO | filters.Document.ALL | filters.VOICE | filters.VIDEO | filters.VIDEO_NOTE
          | filters.AUDIO)
# Edits of a text are read again; edits of anything else (a caption, a live location moving) are not.
_NEW = filters.UpdateType.MESSAGE


def build_application(settings: Settings, assistant: Assistant, store: Store, *,
                      rate_limiter: AIORateLimiter | None = None, publisher: Publisher | None = None) -> Application:
    """The bot with every handler, job and limit; not yet started."""
    order = UpdateOrder(store, urgent=lambda update: _sounds_urgent(assistant, update))
    builder = (ApplicationBuilder().token(settings.token).concurrent_updates(order)
               # One connection (the default) would serialise every request of every chat.
               .request(AiohttpRequest(CONNECTIONS)).get_updates_request(InboxRequest(store))
               # Telegram takes about 20 messages a minute into one group.
               .rate_limiter(rate_limiter or UrgentFirstRateLimiter(group_max_rate=20, group_time_period=60,
                                                                    max_retries=3)))
    if settings.api_base_url:
        builder = builder.base_url(settings.api_base_url)
    if settings.api_file_url:
        builder = builder.base_file_url(settings.api_file_url)
    application = builder.post_init(_announce_commands).build()

    relay = Relay(application.bot, store, assistant, settings, application.job_queue)
    people = PersonHandlers(assistant, store, relay, settings, publisher)
    volunteers = VolunteerHandlers(store, relay, settings)
    private = filters.ChatType.PRIVATE
    groups = filters.Chat(chat_id=[group.chat_id for group in settings.groups])
    anything_else = ~filters.COMMAND & ~filters.TEXT & ~_MEDIA & ~filters.StatusUpdate.ALL

    application.add_handler(MessageHandler((filters.ChatType.GROUPS & ~groups) | filters.UpdateType.CHANNEL_POSTS,
                                           volunteers.leave_foreign_group))
    application.add_handler(CallbackQueryHandler(volunteers.button, pattern=r"^t:"), group=0)
    application.add_handler(MessageHandler(private & _NEW & filters.COMMAND, people.command))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, people.text))
    application.add_handler(MessageHandler(private & _NEW & _MEDIA, people.media))
    application.add_handler(MessageHandler(private & _NEW & anything_else, people.other))
    application.add_handler(CallbackQueryHandler(people.button))
    application.add_handler(CommandHandler(list(VOLUNTEER_COMMANDS), volunteers.command, filters=groups & _NEW))
    application.add_handler(MessageHandler(groups & ~filters.COMMAND & ((_NEW & _MEDIA) | filters.TEXT),
                                           volunteers.message))
    application.add_error_handler(people.on_error)

    async def recover(context) -> None:
        """After a start: handle what arrived before a crash, pass on what was not delivered."""
        await replay(application, store)
        await relay.resume()

    async def retention(context) -> None:
        deleted = await asyncio.to_thread(store.apply_retention, settings.retention_days)
        log.info("retention (%d days): deleted %s", settings.retention_days, deleted)
        await relay.erase()  # the expired tickets' topics

    jobs = application.job_queue
    jobs.run_once(recover, 0, name="recover")
    jobs.run_repeating(relay.resume, interval=REDELIVERY_SECONDS, first=REDELIVERY_SECONDS, name="redeliver")
    jobs.run_repeating(relay.remind_waiting, interval=60, first=60, name="remind_waiting")
    jobs.run_repeating(retention, interval=RETENTION_INTERVAL, first=60, name="retention")
    if publisher is not None:
        jobs.run_repeating(people.watch_files, interval=WATCH_SECONDS, first=WATCH_SECONDS, name="watch_files")
    return application


def _sounds_urgent(assistant: Assistant, update: Update) -> bool:
    """An emergency, recognised on receipt (triggers and the n-gram model: a fraction of a
    millisecond, see benchmarks/emergency_check.py; the sentence embeddings come when it is answered)."""
    message = update.message or update.edited_message
    return bool(message and message.text and message.chat.type == "private"
                and assistant.engine.emergency.check(message.text, quick=True).possible)


async def _announce_commands(application: Application) -> None:
    await application.bot.set_my_commands([BotCommand(name, name) for name in Assistant.COMMANDS])


def use_fast_event_loop() -> None:
    """uvloop where it exists (not on Windows)."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run(settings: Settings, assistant: Assistant, store: Store, publisher: Publisher | None = None) -> int:
    """Run until stopped; a failing start (Telegram unreachable, a 500 on
    getMe or setWebhook, the webhook's port taken) is retried with back-off
    instead of ending the process."""
    use_fast_event_loop()
    delay = 1.0
    while True:
        application = build_application(settings, assistant, store, publisher=publisher)
        started = time.monotonic()
        try:
            if settings.webhook_url:
                # Our own server (webhook.py): the secret is checked before a body is read, and an
                # update is in the store before Telegram gets its 200. The application's updater
                # is built but never started.
                run_webhook(application, store, settings)
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
