"""Wires the contract suite's pytest plugin (options, target, fixtures) for every run from here."""

pytest_plugins = ["contracts.plugin"]
