"""The local state: the only record of what was uploaded (Google shows us nothing else)."""
