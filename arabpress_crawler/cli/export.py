"""arabpress export commands (being written)."""
