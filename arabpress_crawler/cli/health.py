"""arabpress health commands (being written)."""
