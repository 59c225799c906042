"""The one ingest pipeline every entry path goes through: parse, validate, profile, store."""
