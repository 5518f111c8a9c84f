import sys

from crs_desktop.cli import entry_point

sys.exit(entry_point())
