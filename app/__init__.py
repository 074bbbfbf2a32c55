"""The application layer: operator use cases and the unit of work."""
