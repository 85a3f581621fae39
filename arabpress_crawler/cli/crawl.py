"""arabpress crawl commands (being written)."""
