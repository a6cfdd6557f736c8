"""Parsers: bytes in, domain values out."""
