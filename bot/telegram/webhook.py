"""The webhook: Telegram's POSTs received by a small aiohttp server of our own.

python-telegram-bot's own server (tornado) reads a whole body before it
looks at the secret token: anyone could make it hold 90 MiB per request.
Here the order is:

1. only POST on the webhook's path (anything else: 404 or 405);
2. the ``X-Telegram-Bot-Api-Secret-Token`` header, compared in constant
   time: wrong or missing, 403, and the body is never read;
3. the size: a Content-Length over ``MAX_BODY`` is refused (413) before a
   byte of the body is read, and a chunked body stops being read at that
   size (aiohttp's ``client_max_size``);
4. the body must be a JSON object with an integer ``update_id`` (else 400,
   logged without the body);
5. the update is written to the store first (as ``InboxRequest`` does for
   getUpdates), then queued for the Application, and only then does
   Telegram get its 200: an update Telegram counts as delivered is always
   in the store, and ``inbox.replay`` handles it after a crash.

A refused connection is closed at once rather than drained (no lingering
close), so a large body sent without the secret costs neither memory nor
reading time. ``serve_webhook`` runs an Application on it until SIGINT or
SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
import time
from collections import Counter
from urllib.parse import urlparse

from aiohttp import HttpVersion11, web
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application, ExtBot

from bot.settings import Settings
from bot.people.store import Store

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; a message is at most 4096 characters.
MAX_BODY = 1024 * 1024
REFUSAL_LOG_SECONDS = 60.0


class WebhookServer:
    """Receives Telegram's updates for ``application`` on ``listen:port`` and ``path``."""

    def __init__(self, application: Application, store: Store, *, secret: str, path: str = "/",
                 listen: str = "127.0.0.1", port: int = 8443, max_body: int = MAX_BODY):
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self.application = application
        self.store = store
        self.path = "/" + path.lstrip("/")
        self.listen = listen
        self.port = port
        self.max_body = max_body
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None
        self._refused: Counter[str] = Counter()
        self._next_refusal_log = 0.0

    def web_application(self) -> web.Application:
        app = web.Application(client_max_size=self.max_body)
        app.router.add_post(self.path, self._receive, expect_handler=self._expect)
        return app

    async def start(self) -> None:
        """Listen; a port that cannot be had raises NetworkError (so a start is retried)."""
        # No access log (a line per message says nothing useful); no lingering close: a refused
        # body is not read, not even to be thrown away.
        runner = web.AppRunner(self.web_application(), access_log=None, lingering_time=0, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen, self.port).start()
        except OSError as error:
            await runner.cleanup()
            raise NetworkError(f"cannot listen on {self.listen}:{self.port} for the webhook: {error}") from error
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening; requests being handled are finished first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # the checks

    def _refusal(self, request: web.BaseRequest) -> web.Response | None:
        """403 or 413 from the headers alone; None when the body may be read."""
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            return self._refuse(403, "without the right secret")
        if request.content_length is not None and request.content_length > self.max_body:
            return self._refuse(413, "too large")
        return None

    def _refuse(self, status: int, reason: str) -> web.Response:
        self._refused[reason] += 1
        now = time.monotonic()
        if now >= self._next_refusal_log:  # at most one line a minute, whatever a stranger sends
            counts = ", ".join(f"{n} {why}" for why, n in sorted(self._refused.items()))
            log.warning("webhook: refused %s (at most one such line a minute)", counts)
            self._refused.clear()
            self._next_refusal_log = now + REFUSAL_LOG_SECONDS
        response = web.Response(status=status)
        response.force_close()
        return response

    async def _expect(self, request: web.Request) -> web.StreamResponse | None:
        """``Expect: 100-continue``: refuse before the client even sends the body."""
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        return await _continue(request)

    async def _receive(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(413, "too large")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            data = None
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            log.warning("webhook: a request with the right secret is not an update (%d bytes, %s); answered 400",
                        len(body), "an object without an integer update_id" if isinstance(data, dict)
                        else "not a JSON object")
            return web.Response(status=400)
        try:
            self.store.receive_updates([data])
        except Exception:  # noqa: BLE001 - whatever fails, Telegram must not count the update as delivered
            log.exception("webhook: update %s could not be stored; answered 500, Telegram sends it again",
                          update_id)
            return web.Response(status=500)
        await self.application.update_queue.put(self._update(data, update_id))
        return web.Response(status=200)

    def _update(self, data: dict, update_id: int) -> Update:
        """The Update; one python-telegram-bot cannot read goes on as an empty update (as in polling)."""
        bot = self.application.bot
        try:
            update = Update.de_json(data, bot)
        except Exception:  # noqa: BLE001 - whatever the library raises, the update must not block the others
            log.warning("update %s cannot be read by python-telegram-bot (fields: %s); skipped",
                        update_id, ", ".join(sorted(data)))
            update = Update.de_json({"update_id": update_id}, bot)
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)
        return update


async def _continue(request: web.Request) -> None:
    """What aiohttp does by default for an ``Expect`` header: 100 Continue, or 417 for anything else."""
    if request.version == HttpVersion11:
        if request.headers.get("Expect", "").lower() != "100-continue":
            raise web.HTTPExpectationFailed()
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the body of the answer has not started


async def serve_webhook(application: Application, store: Store, settings: Settings) -> None:
    """Start ``application`` (built with its updater, which is not used), listen,
    set the webhook at Telegram and run until SIGINT or SIGTERM; then stop
    cleanly. The webhook stays set at Telegram, which keeps what arrives
    meanwhile. A failing start raises (the caller retries)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stopping.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl+C raises KeyboardInterrupt instead
            pass
    server = WebhookServer(application, store, secret=settings.webhook_secret or "",
                           path=urlparse(settings.webhook_url).path, listen=settings.webhook_listen,
                           port=settings.webhook_port)
    try:
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        await application.start()
        await server.start()
        await application.bot.set_webhook(settings.webhook_url, secret_token=settings.webhook_secret,
                                          allowed_updates=Update.ALL_TYPES)
        log.info("webhook: listening on %s:%d%s", settings.webhook_listen, server.port, server.path)
        await stopping.wait()
        log.info("webhook: stopping")
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
        await server.stop()
        if application.running:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


def run_webhook(application: Application, store: Store, settings: Settings) -> None:
    """``serve_webhook`` on the event loop python-telegram-bot's ``run_polling`` would use
    (the current one, or a new one made current), which stays open for a retry."""
    try:
        loop = asyncio.get_event_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    task = loop.create_task(serve_webhook(application, store, settings))
    try:
        loop.run_until_complete(task)
    except KeyboardInterrupt:  # where the loop cannot take signals (Windows): stop just as cleanly
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
