"""Where the shipped resources (protocol files) are: inside an installed wheel the package
`crs_desktop.resources`, in a checkout the top-level `resources/` folder."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """A file under resources/, from an installed wheel or from the checkout."""
    try:
        base = Path(str(resources.files("crs_desktop.resources")))
    except ModuleNotFoundError:  # running from a checkout: resources/ sits beside the package
        base = Path(__file__).resolve().parent.parent / "resources"
    return base.joinpath(*parts)


def default_protocol_path() -> Path:
    return resource_path("protocols", "default.toml")
