"""The terminal front end: the assistant in a shell, for trying it without Telegram."""
