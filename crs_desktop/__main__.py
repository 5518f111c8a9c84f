import sys

from crs_desktop.cli import main

sys.exit(main())
