"""TAXII 2.1 over the store: a medallion backend, per-partner access through the sharing policy."""
