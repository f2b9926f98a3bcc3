"""Where the two secrets live: the OS keyring or a passphrase-encrypted file."""
