"""Everything Google-facing: the OAuth client file, login, and the Photos Library client."""
