"""Parsers from each platform's webhook JSON to the normalised inbound event."""
