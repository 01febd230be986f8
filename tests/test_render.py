"""Replies as Telegram messages: escaped, split safely, buttons laid out."""

from bot.assistant import Button, Reply
from bot.content.knowledge import Link
from bot.telegram.render import MAX_MESSAGE, keyboard, messages


def test_html_in_answers_and_links_is_escaped():
    reply = Reply("answer", "Use <b>this</b> & that", "en", title="A <title>",
                  links=(Link("Rules & fees", "https://example.org/?a=1&b=2"),), notes=("<i>note</i>",))
    [(html, _)] = messages(reply)
    assert "<b>A &lt;title&gt;</b>" in html
    assert "Use &lt;b&gt;this&lt;/b&gt; &amp; that" in html
    assert '<a href="https://example.org/?a=1&amp;b=2">Rules &amp; fees</a>' in html
    assert "<i>&lt;i&gt;note&lt;/i&gt;</i>" in html


def test_a_long_reply_is_split_between_lines_and_the_buttons_come_last():
    text = "\n".join(f"line {n} " + "&" * 300 for n in range(40))  # each line grows fivefold when escaped
    reply = Reply("answer", text, "en", buttons=(Button("👍", "up:x"), Button("👎", "down:x")))
    parts = messages(reply)
    assert len(parts) > 1
    assert all(len(html) <= MAX_MESSAGE for html, _ in parts)
    assert all(markup is None for _, markup in parts[:-1]) and parts[-1][1] is not None
    assert "".join(html for html, _ in parts).count("line ") == 40
    assert all(html.count("<") == html.count(">") for html, _ in parts)


def test_one_enormous_line_is_cut_into_pieces_that_fit():
    parts = messages(Reply("info", "&" * 5000, "en"))
    assert all(len(html) <= MAX_MESSAGE for html, _ in parts)
    assert sum(html.count("&amp;") for html, _ in parts) == 5000


def test_right_to_left_lines_get_a_mark():
    [(html, _)] = messages(Reply("answer", "OCMW يساعد", "ar"))
    assert html.startswith("\u200f")


def test_thumbs_share_a_row():
    markup = keyboard((Button("Related", "entry:a"), Button("Volunteer", "human"), Button("👍", "up:a"), Button("👎", "down:a")))
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["entry:a"], ["human"], ["up:a", "down:a"]]
