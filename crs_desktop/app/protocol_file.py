"""Which treatment protocol to use: --protocol FILE, else $CRS_DESKTOP_PROTOCOL, else the one
shipped. A ward file that is refused (unreadable, or a line that does not hold together) leaves
the last good one in force, with a message naming the line; it never stops the window."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from crs_desktop.domain.protocol import Protocol, ProtocolError, parse_protocol
from crs_desktop.resources_path import default_protocol_path

ENV_VAR = "CRS_DESKTOP_PROTOCOL"
_ORIGIN = "# crs_desktop: the last good copy of "


def last_good_path() -> Path:
    return (
        Path(platformdirs.user_data_dir("crs-desktop", appauthor=False)) / "last-good-protocol.toml"
    )


def default_protocol() -> Protocol:
    path = default_protocol_path()
    return parse_protocol(path.read_text(encoding="utf-8"), path.name)


def read_protocol(chosen: str | os.PathLike[str]) -> Protocol:
    """A protocol file read strictly, for a command that must not run on another one:
    ProtocolError (a UserError: exit 2, the file, line and why) if it cannot be used."""
    return _read(Path(chosen).expanduser())[0]


def _read(path: Path) -> tuple[Protocol, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ProtocolError(f"{path}: cannot be read ({reason})") from None
    return parse_protocol(text, str(path)), text


def _keep(path: Path, text: str, keep_at: Path) -> None:
    """Keep the text that loaded, to fall back on if the file is later broken. Where it came
    from is a comment at the end, so the copy's line numbers are the file's."""
    try:
        keep_at.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = keep_at.with_suffix(".tmp")
        temp.write_text(f"{text.rstrip()}\n{_ORIGIN}{path}\n", encoding="utf-8")
        os.replace(temp, keep_at)
    except OSError:
        pass  # only a fallback: the protocol in use is fine


def load_protocol(
    chosen: str | os.PathLike[str] | None = None, keep_at: Path | None = None
) -> tuple[Protocol, str | None]:
    """The protocol to use, and a warning to show when the chosen file was refused."""
    keep_at = keep_at or last_good_path()
    name = chosen or os.environ.get(ENV_VAR, "").strip() or None
    if name is None:
        return default_protocol(), None
    path = Path(name).expanduser()
    try:
        protocol, text = _read(path)
    except ProtocolError as exc:
        refused = str(exc)
    else:
        _keep(path, text, keep_at)
        return protocol, None
    try:
        kept, kept_text = _read(keep_at)
        last = kept_text.rstrip().splitlines()[-1]
        was = last.removeprefix(_ORIGIN) if last.startswith(_ORIGIN) else str(keep_at)
        return kept, f"Protocol refused: {refused}. Using the last good copy of {was}."
    except (ProtocolError, OSError, IndexError):
        return default_protocol(), f"Protocol refused: {refused}. Using the protocol shipped."
