"""The error hierarchy shared by every sender."""


class SendError(Exception):
    """A notification could not be handed over."""


class TransientSendError(SendError):
    """The handover failed for now; retrying later may succeed."""


class PermanentSendError(SendError):
    """The handover can never succeed as it stands; do not retry."""
