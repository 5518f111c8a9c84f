"""Is the chart file on a network folder? Then it is refused.

SQLite's locks and its WAL index (shared memory) work between processes of one
machine only: on NFS, SMB/CIFS and the like two workstations can each believe they
hold the write lock, and the chart is corrupted. A ward of several workstations uses
the ward server (README, "A ward on one server"). The file system's type is read from
/proc/self/mountinfo (Linux): the mount holding the file's folder is the one with the
longest mount point that contains it.
"""

from __future__ import annotations

import os
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")
# File systems reached over a network (and cluster file systems shared between machines).
NETWORK_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "gfs2",
        "ocfs2",
        "davfs",
        "coda",
        "fuse.sshfs",
        "fuse.davfs2",
        "fuse.glusterfs",
        "fuse.rclone",
        "fuse.s3fs",
        "fuse.cifs",
    }
)
_SHOWN = {"nfs": "NFS", "nfs4": "NFS", "cifs": "SMB/CIFS", "smb3": "SMB/CIFS", "smbfs": "SMB/CIFS"}


def _unescape(field: str) -> str:
    """mountinfo writes a space, tab, newline and backslash in octal (\\040 ...)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def filesystem_type(path: Path) -> str | None:
    """The type of the file system holding `path` (its folder if it does not exist yet);
    None where mountinfo cannot be read (not Linux)."""
    try:
        lines = MOUNTINFO.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = Path(os.path.realpath(path if path.exists() else path.parent))
    best, best_type = -1, None
    for line in lines:
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or not tail:
            continue
        mount = Path(_unescape(fields[4]))
        if (target == mount or mount in target.parents) and len(mount.parts) > best:
            best, best_type = len(mount.parts), tail[0]
    return best_type


def network_problem(path: Path) -> str | None:
    """Why a chart file at `path` must not be used there; None on a local disk."""
    kind = filesystem_type(path)
    if kind not in NETWORK_TYPES:
        return None
    return (
        f"it is on a network folder ({_SHOWN.get(kind, kind)}), where a SQLite chart can be "
        "corrupted when several workstations use it. Keep the file on this computer's own "
        "disk, or set up the ward server for several workstations (README: A ward on one "
        "server)"
    )
