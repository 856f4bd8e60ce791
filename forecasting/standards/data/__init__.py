"""Standards data files (TOML, one per edition, each starting with its [source] citation)."""
