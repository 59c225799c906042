"""Search: a derived index of the store (Elasticsearch, or SQLite FTS5 embedded), filtered by the sharing policy."""
