"""Build the ward PC install: the one-folder bundle and its Debian package.

    python build/bundle.py [--no-deb] [--dist DIR] [--work DIR]

makes, from this checkout,
- dist/crs-desktop/: the app and everything it runs on (entry dist/crs-desktop/crs-desktop),
  by PyInstaller from the committed spec build/crs-desktop.spec;
- dist/crs-desktop_<version>_<arch>.deb: that folder under /opt/crs-desktop, the command
  `crs-desktop` on the PATH, a launcher with its icon (from resources/), and as dependencies
  the Debian packages of the system libraries the bundle loads (found with ldd and dpkg -S);
- dist/bundle-info.json: build time and sizes (also printed, as one JSON line).

PyInstaller's work files go to dist/.work (never into build/, which holds only these
scripts). Nothing is downloaded: the bundle is made from the packages already installed in
the Python that runs this script (pip install ".[build]").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build" / "crs-desktop.spec"
NAME = "crs-desktop"
# What a window needs that no library links to: a font for Qt to draw with (fontconfig finds
# it), and the X/OpenGL/EGL libraries Qt opens at run time rather than links.
ALWAYS_DEPENDS = ("fonts-dejavu-core", "libgl1", "libegl1", "libxkbcommon-x11-0", "libxcb-cursor0")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, help="PyInstaller's work folder (default DIST/.work)")
    parser.add_argument("--no-deb", action="store_true", help="build the folder only")
    args = parser.parse_args(argv)
    dist = args.dist.resolve()
    work = (args.work or dist / ".work").resolve()
    if work.is_relative_to(ROOT / "build"):
        parser.error("the work folder must be outside build/ (it holds the scripts only)")
    version = project_version()

    try:
        return build(dist, work, version, deb=not args.no_deb)
    except subprocess.CalledProcessError as exc:
        command = " ".join(map(str, exc.cmd))
        print(f"bundle.py: failed (exit {exc.returncode}): {command}", file=sys.stderr)
        return 1


def build(dist: Path, work: Path, version: str, deb: bool) -> int:
    started = time.monotonic()
    bundle = build_bundle(dist, work)
    readable_by_all(bundle)  # also for the folder copied by hand
    info: dict[str, object] = {
        "version": version,
        "bundle": str(bundle),
        "bundle_build_s": round(time.monotonic() - started, 1),
        "bundle_mb": round(tree_bytes(bundle) / 2**20, 1),
    }
    if deb:
        deb_started = time.monotonic()
        package, depends = build_deb(bundle, dist, work, version)
        info.update(
            deb=str(package),
            deb_build_s=round(time.monotonic() - deb_started, 1),
            deb_mb=round(package.stat().st_size / 2**20, 1),
            deb_depends=depends,
        )
    info["build_s"] = round(time.monotonic() - started, 1)
    (dist / "bundle-info.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(info))
    return 0


def project_version() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["version"])


def build_bundle(dist: Path, work: Path) -> Path:
    """dist/crs-desktop/ from the spec; PyInstaller's work files in `work`."""
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--log-level=WARN",
        f"--workpath={work}",
        f"--distpath={dist}",
    ]
    subprocess.run(command, cwd=ROOT, check=True)
    return dist / NAME


def tree_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build_deb(bundle: Path, dist: Path, work: Path, version: str) -> tuple[Path, list[str]]:
    """The bundle as a Debian package: /opt/crs-desktop, /usr/bin/crs-desktop, a launcher."""
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    root = work / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    opt = root / "opt" / NAME
    shutil.copytree(bundle, opt, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    # The bootloader follows the link to find its folder (/opt/crs-desktop/_internal).
    (root / "usr" / "bin" / NAME).symlink_to(f"/opt/{NAME}/{NAME}")
    share = root / "usr" / "share"
    install(ROOT / "resources" / f"{NAME}.desktop", share / "applications" / f"{NAME}.desktop")
    for size, icon in (("scalable", f"{NAME}.svg"), ("256x256", f"{NAME}.png")):
        install(ROOT / "resources" / "icons" / icon, share / "icons/hicolor" / size / "apps" / icon)

    depends = system_packages(bundle)
    control = root / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        f"Package: {NAME}\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        "Maintainer: crs_desktop developers <crs-desktop@localhost>\n"
        "Section: science\n"
        "Priority: optional\n"
        f"Installed-Size: {tree_bytes(root) // 1024}\n"
        f"Depends: {', '.join(depends)}\n"
        "Description: bedside CRS and ICANS tracking after CAR-T therapy\n"
        " A desktop companion for ward nurses: charts vital signs, labs and drugs,\n"
        " grades Cytokine Release Syndrome (ASTCT 2019, Lee 2014, CTCAE) and ICANS\n"
        " as each value arrives, lists what the ward protocol says to do, and\n"
        " prints the shift handover. Self-contained: Python and Qt are inside.\n",
        encoding="utf-8",
    )
    readable_by_all(root)  # whatever the builder's umask: every nurse's account runs it
    deb = dist / f"{NAME}_{version}_{arch}.deb"
    # xz at level 1: a quarter of the CPU time of the default level 6 (31 s against 128 s
    # here) for a package about 12 % larger (83 MB against 74 MB); CI builds it every run.
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "-z1", "--build", str(root), str(deb)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(root)
    return deb, depends


def readable_by_all(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        executable = path.is_dir() or mode & 0o100
        path.chmod((mode | 0o444 | (0o111 if executable else 0)) & ~0o022)


def install(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(0o644)


def system_packages(bundle: Path) -> list[str]:
    """The Debian packages holding the libraries the bundle links to but does not carry."""
    libraries: set[str] = set()
    missing: set[str] = set()
    for path in sorted(bundle.rglob("*.so*")):
        if path.is_symlink() or not path.is_file() or not is_elf(path):
            continue
        env = dict(os.environ, LD_LIBRARY_PATH=str(bundle / "_internal"))
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            match = re.match(r"\s*(\S+) => (\S+)", line)
            if not match:
                continue
            name, found = match.groups()
            if found == "not":
                missing.add(name)
            elif not Path(found).resolve().is_relative_to(bundle.resolve()):
                libraries.add(found)
    if missing:
        # Only plugins for what the ward PC does not use (e.g. the GTK theme) reach here.
        print(f"bundle.py: not on this machine, not depended on: {', '.join(sorted(missing))}")
    packages = set(ALWAYS_DEPENDS)
    for library in sorted(libraries):
        package = owning_package(library)
        if package:
            packages.add(package)
    # Python and the wheels were linked against this machine's C library: no older one.
    glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""  # e.g. "glibc 2.36"
    if "libc6" in packages and glibc.startswith("glibc "):
        packages = (packages - {"libc6"}) | {f"libc6 (>= {glibc.split()[1]})"}
    return sorted(packages)


def is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def owning_package(library: str) -> str | None:
    """dpkg -S, trying the path as found and its /lib <-> /usr/lib twin (merged /usr)."""
    real = str(Path(library).resolve())
    candidates = [library, real]
    for path in list(candidates):
        if path.startswith("/usr/lib/"):
            candidates.append(path.removeprefix("/usr"))
        elif path.startswith("/lib/"):
            candidates.append("/usr" + path)
    for path in candidates:
        out = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":", 1)[0].strip()
    print(f"bundle.py: no Debian package holds {library}; not depended on")
    return None


if __name__ == "__main__":
    sys.exit(main())
