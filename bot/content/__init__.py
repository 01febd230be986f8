"""The content files: YAML loading with line numbers, the knowledge base,
guided conversations, and the maintainers' checks and coverage."""
