"""A fake Telegram Bot API server, for driving the real python-telegram-bot in tests.

Build the application against it with::

    fake = FakeTelegram()
    await fake.start()
    app = (ApplicationBuilder().token(TOKEN)
           .base_url(fake.base_url).base_file_url(fake.base_file_url).build())

Then inject updates (``fake.person_says(42, "hello")``), and check what the bot
did (``await fake.wait_for("sendMessage", chat_id=42)``). The server runs on
tornado in the test's own event loop, on 127.0.0.1 and a free port.

Messages are kept per chat, so edits, copies, forwards, replies and callback
queries carry the real content; a message the fake never saw is treated as an
existing, empty one rather than as an error.

Like Telegram, it refuses HTML it cannot parse, empty texts, texts over 4096
characters and callback data over 64 bytes, so a broken message fails a test.
Faults: any status (429 with retry_after, 500…), a request that hangs until
the client gives up (never applied), one applied but answered after the
client gave up (SLOW), or a connection reset.
"""

from __future__ import annotations

import asyncio
import copy
import html.parser
import inspect
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456

BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Test Bot", "username": "test_bot"}
DEFAULT_ICON_COLOR = 7322096
LONG_POLL_CAP = 1.0

# form fields that PTB sends as JSON strings, and fields that are plain integers
_JSON_FIELDS = frozenset({
    "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
    "link_preview_options", "reply_parameters", "media", "message_ids", "permissions",
})
_INT_FIELDS = frozenset({
    "chat_id", "message_id", "message_thread_id", "from_chat_id", "user_id",
    "offset", "limit", "timeout", "icon_color",
})
# methods that post into a chat: refused for blocked people
_SEND_METHODS = frozenset({
    "sendMessage", "sendPhoto", "sendDocument", "sendVoice", "sendVideo", "sendChatAction",
    "copyMessage", "forwardMessage",
})
# what a message carries besides its content; a copy leaves these behind
_ENVELOPE = frozenset({
    "message_id", "date", "chat", "from", "message_thread_id", "is_topic_message",
    "reply_to_message", "reply_markup", "edit_date", "forward_origin",
})
# the tags of Telegram's HTML parse mode
_HTML_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
                        "code", "pre", "blockquote", "tg-emoji"})
MAX_TEXT = 4096
HANG, RESET, SLOW = "hang", "reset", "slow"
# A SLOW answer comes after this long: longer than the bot's read timeout, though the request was applied.
SLOW_SECONDS = 6.0
_NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup "
                 "are exactly the same as a current content and reply markup of the message")


@dataclass
class Call:
    """One request the bot made to the fake server."""

    method: str
    params: dict
    at: float = field(default_factory=time.monotonic)
    answer: int | None = None  # the HTTP status given; None while hanging or after a reset


class _ApiError(Exception):
    """An error answer of the Bot API: raised by method implementations."""

    def __init__(self, status: int, description: str = "", retry_after: int | None = None) -> None:
        self.status = status
        self.description = description or _default_description(status, retry_after)
        self.retry_after = retry_after
        super().__init__(self.description)

    def body(self) -> dict:
        """The JSON answer Telegram gives for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class _Fault(Exception):
    """Not an answer: the request hangs (HANG) or the connection is cut (RESET)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass
class _Failure:
    """A fault planned for the calls whose params hold ``where``, after ``skip`` of them went through."""

    where: dict
    failure: _ApiError | _Fault
    skip: int = 0


class _TelegramHtml(html.parser.HTMLParser):
    """The visible text of a message in Telegram's HTML parse mode; raises
    _ApiError where Telegram would refuse to parse it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in _HTML_TAGS:
            raise _ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: can't parse entities: unsupported start tag \"{tag}\"")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise _ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: can't parse entities: unexpected end tag \"{tag}\"")
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @classmethod
    def visible_text(cls, markup: str) -> str:
        if re.search(r"[<>]", re.sub(r"</?[a-z-]+(?:\s[^<>]*)?>", "", markup)):
            raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: can't parse entities: unescaped < or >")
        if re.search(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)", markup):
            raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: can't parse entities: unescaped &")
        parser = cls()
        parser.feed(markup)
        parser.close()
        if parser.open:
            raise _ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: can't parse entities: unclosed tag \"{parser.open[-1]}\"")
        return "".join(parser.text)


def _check_text(params: dict, name: str, required: bool) -> str | None:
    """The visible text (or caption); refused as Telegram would: unparsable HTML, empty, too long."""
    if name not in params:
        if required:
            raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message text is empty")
        return None
    text = params[name]
    if params.get("parse_mode") == "HTML":
        text = _TelegramHtml.visible_text(text)
    if required and not text.strip():
        raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message text is empty")
    if _utf16_length(text) > MAX_TEXT:
        raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message is too long")
    return text


def _check_markup(params: dict) -> None:
    for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: text buttons are unallowed in the inline keyboard")
            if len(button.get("callback_data", "").encode()) > 64:
                raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: BUTTON_DATA_INVALID")


def _default_description(status: int, retry_after: int | None) -> str:
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return f"Too Many Requests: retry after {retry_after or 0}"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _now() -> int:
    return int(time.time())


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[dict]:
    """A bot_command entity for a leading /command, as Telegram adds it."""
    if not text.startswith("/"):
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_length(text.split()[0])}]


def _decode_params(fields: dict[str, str]) -> dict:
    """Form fields as PTB sent them, with JSON fields decoded and id fields made int."""
    params: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _JSON_FIELDS:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        elif name in _INT_FIELDS and value.lstrip("-").isdigit():
            value = int(value)
        params[name] = value
    return params


class _BotApiHandler(tornado.web.RequestHandler):
    """Routes POST /bot<token>/<method> to the FakeTelegram."""

    def initialize(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def post(self, token: str, method: str) -> None:
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            # The Bot API also takes JSON bodies; serialised fields may come as objects or as JSON text.
            body = json.loads(self.request.body or b"{}")
            fields = {name: value if isinstance(value, str) else json.dumps(value) for name, value in body.items()}
        else:
            fields = {name: values[-1].decode() for name, values in self.request.body_arguments.items()}
        params = _decode_params(fields)
        for name, files in self.request.files.items():
            params[name] = {"filename": files[-1].filename, "content": files[-1].body}
        try:
            status, body = await self.fake.answer(token, method, params)
        except _Fault as fault:
            if fault.kind == HANG:
                await self.fake.stopped.wait()
            self.request.connection.stream.close()
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))


class FakeTelegram:
    """A Bot API server that records the bot's calls and feeds it injected updates."""

    def __init__(self, group_id: int = -1001000000001, forum: bool = True, strict: bool = True) -> None:
        """``strict``: refuse broken texts as Telegram does (benchmarks switch it off: Telegram
        checks on its own servers, and the benchmark measures the bot, not the fake)."""
        self.group_id = group_id
        self.forum = forum
        self.strict = strict
        self.calls: list[Call] = []
        # membership per chat, as Telegram answers getChatMember: (chat id, user id) → status
        self.members: dict[tuple[int, int], str] = {}
        self.blocked: set[int] = set()
        self._not_members: set[tuple[int, int]] = set()
        self.deleted_threads: set[int] = set()
        self.base_url = ""
        self.base_file_url = ""
        self._server: tornado.httpserver.HTTPServer | None = None
        self._stopping = False
        self._updates: list[dict] = []
        self._last_update_id = 0
        self._update_arrived = asyncio.Event()
        self._call_recorded = asyncio.Event()
        self._failures: dict[str, deque[_Failure]] = {}
        self.stopped = asyncio.Event()
        self._messages: dict[tuple[int, int], dict] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self._last_bot_message: dict[int, int] = {}
        self._users: dict[int, dict] = {}
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._methods: dict[str, Callable[[dict], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._true,
            "deleteWebhook": self._delete_webhook,
            "setMyCommands": self._true,
            "deleteMyCommands": self._true,
            "sendMessage": self._send_message,
            "sendPhoto": partial(self._send_media, "photo"),
            "sendDocument": partial(self._send_media, "document"),
            "sendVoice": partial(self._send_media, "voice"),
            "sendVideo": partial(self._send_media, "video"),
            "sendChatAction": self._true,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._true,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._true,
            "closeForumTopic": self._true,
            "reopenForumTopic": self._true,
            "deleteForumTopic": self._delete_forum_topic,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "leaveChat": self._true,
        }

    # serving

    async def start(self) -> None:
        """Serve on 127.0.0.1 and a free port, in the running event loop."""
        application = tornado.web.Application(
            [(r"/bot([^/]+)/([A-Za-z]+)", _BotApiHandler, {"fake": self})],
            log_function=lambda handler: None,
        )
        self._stopping = False
        self.stopped.clear()
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self._server = tornado.httpserver.HTTPServer(application)
        self._server.add_sockets(sockets)
        port = sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"

    async def stop(self) -> None:
        """Stop serving; pending long polls return at once."""
        self._stopping = True
        self._update_arrived.set()
        self.stopped.set()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    async def answer(self, token: str, method: str, params: dict) -> tuple[int, dict]:
        """Record one request and work out the HTTP status and JSON body of the answer."""
        call = Call(method, params)
        self.calls.append(call)
        self._call_recorded.set()
        try:
            result = self._result(token, method, params)
            if inspect.isawaitable(result):
                result = await result
        except _ApiError as error:
            call.answer = error.status
            return error.status, error.body()
        call.answer = HTTPStatus.OK
        return HTTPStatus.OK, {"ok": True, "result": result}

    def _result(self, token: str, method: str, params: dict) -> Any:
        if token != TOKEN:
            raise _ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        failures = self._failures.get(method, ())
        for planned in failures:
            if all(params.get(key) == value for key, value in planned.where.items()):
                if planned.skip:
                    planned.skip -= 1
                    break
                failures.remove(planned)
                if isinstance(planned.failure, _Fault) and planned.failure.kind == SLOW:
                    return self._late(self._methods[method](params))
                raise planned.failure
        if method not in self._methods:
            raise _ApiError(HTTPStatus.NOT_FOUND, "Not Found: method not found")
        if method in _SEND_METHODS and params.get("chat_id") in self.blocked:
            raise _ApiError(HTTPStatus.FORBIDDEN, "Forbidden: bot was blocked by the user")
        if params.get("message_thread_id") in self.deleted_threads:
            raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: message thread not found")
        try:
            return self._methods[method](params)
        except KeyError as missing:
            raise _ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: parameter {missing.args[0]!r} is required") from None

    async def _late(self, result: Any) -> Any:
        if inspect.isawaitable(result):
            result = await result
        await asyncio.sleep(SLOW_SECONDS)
        return result

    # looking at calls

    def calls_to(self, method: str, **match: Any) -> list[Call]:
        """The calls of `method` whose params hold every item of `match`."""
        return [call for call in self.calls
                if call.method == method and all(key in call.params and call.params[key] == value
                                                 for key, value in match.items())]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0, **match: Any) -> list[Call]:
        """Wait until at least `count` calls match (see calls_to), and return them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(found := self.calls_to(method, **match)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(method, count, match, found))
            self._call_recorded.clear()
            try:
                await asyncio.wait_for(self._call_recorded.wait(), remaining)
            except TimeoutError:
                pass
        return found

    def _timeout_report(self, method: str, count: int, match: dict, found: list[Call]) -> str:
        wanted = ", ".join([method, *(f"{key}={value!r}" for key, value in match.items())])
        recent = [call for call in self.calls if call.method != "getUpdates"][-15:]
        start = self.calls[0].at if self.calls else 0.0
        lines = [f"expected {count} call(s) of {wanted}, got {len(found)}; recent calls:"]
        lines += [f"  +{call.at - start:.3f}s {call.method} {_short(call.params)}" for call in recent]
        return "\n".join(lines if recent else [*lines, "  (none)"])

    # behaviour switches

    def fail_next(self, method: str, status: int | str, description: str = "", retry_after: int | None = None,
                  times: int = 1, skip: int = 0, **where: Any) -> None:
        """Answer the next `times` calls of `method` whose params hold `where`
        (after letting `skip` of them through) with this error status, or
        HANG (no answer, nothing done), SLOW (done, answered too late) or RESET."""
        queue = self._failures.setdefault(method, deque())
        for _ in range(times):
            failure = _Fault(status) if isinstance(status, str) else _ApiError(status, description, retry_after)
            queue.append(_Failure(where, failure, skip))

    def texts_in(self, chat_id: int) -> list[str]:
        """The texts (and captions) of the bot's messages that exist in a chat now, oldest first."""
        return [m.get("text") or m.get("caption") or "" for (chat, _), m in sorted(self._messages.items())
                if chat == chat_id and m.get("from", {}).get("id") == BOT_ID]

    # injecting updates

    def inject(self, update: dict) -> dict:
        """Queue a raw update for getUpdates; its update_id is filled in if missing."""
        update.setdefault("update_id", self._last_update_id + 1)
        self._last_update_id = max(self._last_update_id, update["update_id"])
        for kind in ("message", "edited_message"):
            if kind in update:
                self._store(update[kind])
        self._updates.append(update)
        self._update_arrived.set()
        return update

    def person_says(self, user_id: int, text: str, *, language_code: str = "en",
                    first_name: str = "Amina") -> dict:
        """A person writes to the bot in their private chat."""
        person = self._person(user_id, first_name, language_code)
        message = self._new_message(user_id, person, text=text)
        if entities := _command_entities(text):
            message["entities"] = entities
        return self.inject({"message": message})

    def person_sends(self, user_id: int, **content: Any) -> dict:
        """A person sends any message content: sticker=..., location=..., contact=..., poll=..."""
        person = self._users.get(user_id) or self._person(user_id, "Amina", "en")
        return self.inject({"message": self._new_message(user_id, person, **content)})

    def person_edits(self, user_id: int, message_id: int, text: str) -> dict:
        """A person edits a message they sent."""
        edited = {**copy.deepcopy(self._message(user_id, message_id)), "text": text, "edit_date": _now()}
        return self.inject({"edited_message": edited})

    def channel_post(self, chat_id: int, text: str) -> dict:
        """A post in a channel the bot was added to."""
        chat = {"id": chat_id, "type": "channel", "title": "Some channel"}
        ids = self._message_ids.setdefault(chat_id, itertools.count(1))
        return self.inject({"channel_post": {"message_id": next(ids), "date": _now(), "chat": chat, "text": text}})

    def person_sends_photo(self, user_id: int, caption: str | None = None) -> dict:
        """A person sends a photo to the bot, with an optional caption."""
        person = self._users.get(user_id) or self._person(user_id, "Amina", "en")
        return self.inject({"message": self._new_message(user_id, person, **self._photo_content(caption))})

    def person_presses(self, user_id: int, data: str, *, message_id: int | None = None) -> dict:
        """A person presses an inline button under a bot message (by default the bot's last one)."""
        if message_id is None:
            if user_id not in self._last_bot_message:
                raise ValueError(f"the bot has sent nothing to {user_id} yet")
            message_id = self._last_bot_message[user_id]
        person = self._users.get(user_id) or self._person(user_id, "Amina", "en")
        return self.inject({"callback_query": self._callback_query(person, user_id, message_id, data)})

    def volunteer_says(self, user_id: int, text: str, *, thread_id: int | None = None,
                       reply_to_message_id: int | None = None, first_name: str = "Sara",
                       chat_id: int | None = None) -> dict:
        """A volunteer writes in the volunteers' group, in a topic or as a reply if asked."""
        chat_id = self.group_id if chat_id is None else chat_id
        volunteer = self._person(user_id, first_name, "en")
        message = self._new_message(chat_id, volunteer, thread_id, text=text)
        if entities := _command_entities(text):
            message["entities"] = entities
        self._attach_reply(message, reply_to_message_id)
        return self.inject({"message": message})

    def volunteer_sends_photo(self, user_id: int, *, thread_id: int | None = None,
                              caption: str | None = None) -> dict:
        """A volunteer sends a photo in the volunteers' group."""
        volunteer = self._users.get(user_id) or self._person(user_id, "Sara", "en")
        message = self._new_message(self.group_id, volunteer, thread_id, **self._photo_content(caption))
        self._attach_reply(message, None)
        return self.inject({"message": message})

    def volunteer_presses(self, user_id: int, data: str, *, message_id: int, thread_id: int | None = None,
                          chat_id: int | None = None) -> dict:
        """A volunteer presses an inline button under a bot message in the group (or in ``chat_id``)."""
        volunteer = self._users.get(user_id) or self._person(user_id, "Sara", "en")
        query = self._callback_query(volunteer, self.group_id if chat_id is None else chat_id, message_id, data)
        if thread_id is not None:
            query["message"].update(message_thread_id=thread_id, is_topic_message=True)
        return self.inject({"callback_query": query})

    # building Telegram objects

    def _person(self, user_id: int, first_name: str, language_code: str) -> dict:
        """A human user, remembered for later updates and getChatMember."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        self._users[user_id] = user
        return user

    def _chat(self, chat_id: int) -> dict:
        """A private chat for positive ids, a supergroup for negative ones."""
        if chat_id > 0:
            name = self._users.get(chat_id, {}).get("first_name", "User")
            return {"id": chat_id, "type": "private", "first_name": name}
        chat: dict[str, Any] = {"id": chat_id, "type": "supergroup",
                                "title": "Volunteers" if chat_id == self.group_id else "Group"}
        if chat_id == self.group_id and self.forum:
            chat["is_forum"] = True
        return chat

    def _new_message(self, chat_id: int, sender: dict, thread_id: int | None = None, **content: Any) -> dict:
        """A stored message with the chat's next message_id; bot messages are remembered per chat."""
        ids = self._message_ids.setdefault(chat_id, itertools.count(1))
        message = {"message_id": next(ids), "date": _now(), "chat": self._chat(chat_id), "from": sender, **content}
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        if sender["id"] == BOT_ID:
            self._last_bot_message[chat_id] = message["message_id"]
        return self._store(message)

    def _store(self, message: dict) -> dict:
        self._messages[message["chat"]["id"], message["message_id"]] = message
        return message

    def _message(self, chat_id: int, message_id: int) -> dict:
        """The stored message, or an empty stand-in for one the fake never saw."""
        return self._messages.get((chat_id, message_id)) or {
            "message_id": message_id, "date": _now(), "chat": self._chat(chat_id)}

    def _attach_reply(self, message: dict, reply_to_message_id: int | None) -> None:
        """Set reply_to_message; in a topic Telegram points it at the topic's first message."""
        target = reply_to_message_id or message.get("message_thread_id")
        if target is not None:
            replied = copy.deepcopy(self._message(message["chat"]["id"], target))
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied

    def _callback_query(self, user: dict, chat_id: int, message_id: int, data: str) -> dict:
        message = copy.deepcopy(self._message(chat_id, message_id))
        message.setdefault("from", BOT_USER)
        return {"id": str(next(self._query_ids)), "from": user, "chat_instance": f"instance{chat_id}",
                "data": data, "message": message}

    def _photo_content(self, caption: str | None) -> dict:
        content: dict[str, Any] = {"photo": self._media("photo", None)}
        if caption is not None:
            content["caption"] = caption
        return content

    def _media(self, kind: str, value: Any) -> Any:
        """The file object(s) Telegram returns for a file sent by id, URL or upload."""
        number = next(self._file_ids)
        file_id = value if isinstance(value, str) else f"{kind}-file-{number}"
        unique = {"file_unique_id": f"unique-{number}"}
        if kind == "photo":
            return [{"file_id": f"{file_id}-small", "file_unique_id": f"unique-{number}-small",
                     "width": 90, "height": 68},
                    {"file_id": file_id, **unique, "width": 1280, "height": 960}]
        if kind == "document":
            name = value["filename"] if isinstance(value, dict) else "document"
            return {"file_id": file_id, **unique, "file_name": name}
        if kind == "voice":
            return {"file_id": file_id, **unique, "duration": 1}
        return {"file_id": file_id, **unique, "width": 640, "height": 480, "duration": 1}

    def _bot_message(self, params: dict, content: dict) -> dict:
        """A message the bot sends as asked by `params`: thread, reply and inline keyboard included."""
        message = self._new_message(params["chat_id"], BOT_USER, params.get("message_thread_id"), **content)
        self._attach_reply(message, (params.get("reply_parameters") or {}).get("message_id"))
        if markup := _inline(params.get("reply_markup")):
            message["reply_markup"] = markup
        return message

    # Bot API methods

    def _true(self, params: dict) -> bool:
        return True

    def _get_me(self, params: dict) -> dict:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}

    def _delete_webhook(self, params: dict) -> bool:
        if params.get("drop_pending_updates") == "true":
            self._updates.clear()
        return True

    async def _get_updates(self, params: dict) -> list[dict]:
        """Confirm updates below `offset`; return the rest, long-polling briefly if there are none."""
        offset = params.get("offset", 0)
        self._updates = [update for update in self._updates if update["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(params.get("timeout", 0), LONG_POLL_CAP)
        while not self._updates and not self._stopping and (remaining := deadline - loop.time()) > 0:
            self._update_arrived.clear()
            try:
                await asyncio.wait_for(self._update_arrived.wait(), remaining)
            except TimeoutError:
                pass
        return self._updates[:params.get("limit", 100)]

    def _checked(self, params: dict, name: str, required: bool) -> str | None:
        """The visible text of a text or caption, refused as Telegram would when strict."""
        if not self.strict:
            return params.get(name)
        _check_markup(params)
        return _check_text(params, name, required)

    def _send_message(self, params: dict) -> dict:
        content = {"text": self._checked(params, "text", required=True)}
        if "entities" in params:
            content["entities"] = params["entities"]
        return self._bot_message(params, content)

    def _send_media(self, kind: str, params: dict) -> dict:
        self._checked(params, "caption", required=False)
        content: dict[str, Any] = {kind: self._media(kind, params[kind])}
        for name in ("caption", "caption_entities"):
            if name in params:
                content[name] = params[name]
        return self._bot_message(params, content)

    def _content_of(self, params: dict) -> dict:
        source = self._message(params["from_chat_id"], params["message_id"])
        return copy.deepcopy({name: value for name, value in source.items() if name not in _ENVELOPE})

    def _copy_message(self, params: dict) -> dict:
        content = self._content_of(params)
        if "caption" in params:
            content["caption"] = params["caption"]
        return {"message_id": self._bot_message(params, content)["message_id"]}

    def _forward_message(self, params: dict) -> dict:
        source = self._message(params["from_chat_id"], params["message_id"])
        origin = {"type": "user", "sender_user": source.get("from", BOT_USER), "date": source["date"]}
        forwarded = {**self._content_of(params), "forward_origin": origin}
        return self._bot_message(params, forwarded)

    def _edit(self, params: dict, changes: dict) -> dict:
        """Apply `changes` (None removes a field) and the new inline keyboard to a message;
        an edit of a known message that changes nothing is refused, as by Telegram."""
        key = params["chat_id"], params["message_id"]
        message = self._message(*key)
        before = copy.deepcopy(message)
        for name, value in {**changes, "reply_markup": _inline(params.get("reply_markup"))}.items():
            if value is None:
                message.pop(name, None)
            else:
                message[name] = value
        if message == before and key in self._messages:
            raise _ApiError(HTTPStatus.BAD_REQUEST, _NOT_MODIFIED)
        message.setdefault("from", BOT_USER)
        message["edit_date"] = _now()
        return self._store(message)

    def _edit_message_text(self, params: dict) -> dict:
        self._checked(params, "text", required=True)
        return self._edit(params, {"text": params["text"], "entities": params.get("entities")})

    def _edit_message_reply_markup(self, params: dict) -> dict:
        return self._edit(params, {})

    def _delete_message(self, params: dict) -> bool:
        self._messages.pop((params["chat_id"], params["message_id"]), None)
        return True

    def _create_forum_topic(self, params: dict, creator: dict = BOT_USER) -> dict:
        """A new topic. As in Telegram, its service message takes the group's
        next message id, and that id is the thread id."""
        chat_id = params["chat_id"]
        if not (self.forum and chat_id == self.group_id):
            raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: the chat is not a forum")
        icon_color = params.get("icon_color", DEFAULT_ICON_COLOR)
        created = self._new_message(chat_id, creator, forum_topic_created={"name": params["name"],
                                                                           "icon_color": icon_color})
        created.update(message_thread_id=created["message_id"])
        return {"message_thread_id": created["message_id"], "name": params["name"], "icon_color": icon_color}

    def volunteers_make_topic(self, user_id: int, name: str) -> int:
        """Volunteers open a topic of their own (not a ticket) in the group; returns its thread id."""
        creator = self._users.get(user_id) or self._person(user_id, "Sara", "en")
        return self._create_forum_topic({"chat_id": self.group_id, "name": name}, creator)["message_thread_id"]

    def _delete_forum_topic(self, params: dict) -> bool:
        self.deleted_threads.add(params["message_thread_id"])
        return True

    def _get_chat(self, params: dict) -> dict:
        return {**self._chat(params["chat_id"]), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                        "premium_subscription": False, "gifts_from_channels": False}}

    def add_member(self, user_id: int, status: str = "member", *, chat_id: int | None = None,
                   is_member: bool = True) -> None:
        """Make a user a member of a group (by default the volunteers'), or restricted in it with ``is_member``."""
        key = (self.group_id if chat_id is None else chat_id, user_id)
        self.members[key] = status
        if is_member:
            self._not_members.discard(key)
        else:
            self._not_members.add(key)

    def _get_chat_member(self, params: dict) -> dict:
        """Membership in the chat asked about: in a private chat its own user is a "member", as in Telegram."""
        chat_id, user_id = params["chat_id"], params["user_id"]
        user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "User"}
        if chat_id > 0:
            if chat_id != user_id:
                raise _ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: user not found")
            return _chat_member("member", user)
        return _chat_member(self.members.get((chat_id, user_id), "left"), user,
                            is_member=(chat_id, user_id) not in self._not_members)


def _inline(markup: dict | None) -> dict | None:
    """The markup if it is an inline keyboard: other keyboards are not part of a Message."""
    return markup if markup and "inline_keyboard" in markup else None


_ADMIN_RIGHTS = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                 "can_manage_video_chats", "can_restrict_members", "can_promote_members", "can_change_info",
                 "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
                 "can_pin_messages", "can_manage_topics")
_RESTRICTED_RIGHTS = ("can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
                      "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
                      "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
                      "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
                      "can_react_to_messages")


def _chat_member(status: str, user: dict, is_member: bool = True) -> dict:
    """A ChatMember of the given status, with the fields PTB requires for it (no rights at all)."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(dict.fromkeys(_ADMIN_RIGHTS, False), can_manage_chat=True, can_manage_topics=True)
    elif status == "restricted":
        member.update(dict.fromkeys(_RESTRICTED_RIGHTS, False), is_member=is_member, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    return member


def _short(params: dict, limit: int = 200) -> str:
    text = repr(params)
    return text if len(text) <= limit else text[:limit] + "…"
