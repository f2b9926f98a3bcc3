"""Command cores: one module per command, called by the CLI layer; they decide, they never print."""
