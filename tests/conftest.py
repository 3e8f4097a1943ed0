"""Shared fixtures: the ../shared reference folder, skipped cleanly when absent.

Helpers for test modules live in ``tests/shared_data.py`` (``from shared_data import shared_file``).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared_data import ROOT, SHARED, shared_file  # noqa: F401  (re-exported for old imports)

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def shared() -> Path:
    """Path of ../shared; the test is skipped with a reason when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"reference folder {SHARED} is absent (tests read ../shared at run time)")
    return SHARED
