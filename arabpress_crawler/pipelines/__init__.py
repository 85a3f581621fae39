"""Item pipelines, one concern each: clean, validate, dedupe, store."""
