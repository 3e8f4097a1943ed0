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


def _snapshot(root: Path) -> dict:
    """(size, mtime) of every file under ``root``: enough to see a test that wrote into it."""
    out = {}
    for p in root.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture(scope="session", autouse=True)
def shared_is_left_untouched():
    """Fail the run if any test or example wrote into ../shared (reference data is read-only)."""
    if not SHARED.is_dir():
        yield
        return
    before = _snapshot(SHARED)
    yield
    after = _snapshot(SHARED)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"tests changed files in {SHARED}: {changed[:10]}"
