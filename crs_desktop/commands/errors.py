"""The command line's own error, importable by every command without loading cli.py
(which loads the commands by name: an import back into it is a loop tools cannot see)."""

from __future__ import annotations

from crs_desktop.domain.errors import UserError


class UsageError(UserError):
    """A user's mistake on the command line: printed as one line, exit status 2."""
