"""Printing: consoles, tables and summaries. The engine and clients never print."""
