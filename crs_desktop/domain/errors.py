"""The base of every error that is a user's mistake rather than a bug."""


class UserError(Exception):
    """A mistake the user can fix: shown as a clear message (exit status 2), never a traceback."""
