"""arabpress serve commands (being written)."""
