"""The Telegram front end: translates updates into engine calls and engine
replies into Telegram messages. Nothing here decides what to answer."""
