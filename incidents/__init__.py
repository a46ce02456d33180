"""The `incidents` command line: a thin layer over the library packages."""

from core import __version__

__all__ = ["__version__"]
