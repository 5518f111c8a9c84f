"""Starting Qt: one QApplication, the theme, and the main window on a patient."""

from __future__ import annotations

import gc
import os
import sys

from PySide6.QtWidgets import QApplication, QWidget

from crs_desktop.ui import theme


def make_app() -> QApplication:
    """The QApplication (made once), with the large clear theme."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        if (
            not os.environ.get("DISPLAY")
            and not os.environ.get("WAYLAND_DISPLAY")
            and sys.platform.startswith("linux")
            and "QT_QPA_PLATFORM" not in os.environ
        ):
            # No screen (a server, CI): draw offscreen rather than fail to start.
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        app = QApplication(sys.argv[:1])
        app.setApplicationName("crs_desktop")
        theme.apply_theme(app)
    return app


def dispose(widget: QWidget) -> None:
    """Delete a top-level window before Python exits.

    pyqtgraph 0.14 with PySide6 6.12 crashes in the interpreter's final
    garbage collection if plot widgets are still alive then (seen here: exit
    status 139); deleting them while Qt is still up avoids it.
    """
    widget.close()
    widget.deleteLater()
    app = QApplication.instance()
    if app is not None:
        app.processEvents()
    gc.collect()
