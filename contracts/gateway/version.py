"""The reference gateway's version: its published description states it (describe.py), recordings name it
(contracts/targets.py)."""

VERSION = "0.1.0"
