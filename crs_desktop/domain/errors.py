"""The base of every error that is a user's mistake rather than a bug."""


class UserError(Exception):
    """Shown to the user as a clear message (exit status 2 on the command line), never a traceback."""
