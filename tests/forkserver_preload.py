"""Imported by the fork server of tests/forked.py, and only there: it imports what every run of the suite imports."""

from tests.forked import preload

preload()
