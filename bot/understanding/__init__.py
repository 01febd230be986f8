"""Understanding a message: folding text, identifying the language, matching
it against the knowledge base, recognising danger, deciding what to do."""
