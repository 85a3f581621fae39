"""arabpress extract commands (being written)."""
