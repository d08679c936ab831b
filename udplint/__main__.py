import sys

from .command import entry

sys.exit(entry())
