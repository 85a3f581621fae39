"""arabpress mirror commands (being written)."""
