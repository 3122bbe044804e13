"""The repository's root conftest.

The contract suite's plugin is the ``apiops`` pytest11 entry point of the installed package
(pyproject.toml), loaded by pytest before it parses the command line; nothing needs wiring here.
This file marks the repository root for pytest's rootdir and conftest discovery.
"""
