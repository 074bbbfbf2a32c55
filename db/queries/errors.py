"""What an operator command or lookup can refuse; the API maps each to one HTTP status."""

from __future__ import annotations


class OperatorError(Exception):
    """Base class: the message is shown to the operator as it is."""


class NotFound(OperatorError):
    """The named row does not exist (or was deleted)."""

    def __init__(self, what: str, identifier: str) -> None:
        super().__init__(f"{what} {identifier!r} not found")


class Conflict(OperatorError):
    """The request is valid but the row's current state does not allow it (HTTP 409)."""


class Invalid(OperatorError):
    """The request names a bad value; the message starts with the field (HTTP 422)."""
