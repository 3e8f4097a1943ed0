"""Shared fixtures: the ../shared reference folder, skipped cleanly when absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BEAMKIT_SHARED", ROOT.parent / "shared")).resolve()

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def shared() -> Path:
    """Path of ../shared; the test is skipped with a reason when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"reference folder {SHARED} is absent (tests read ../shared at run time)")
    return SHARED


def shared_file(*parts) -> Path:
    """Path of a file under ../shared; skip the calling test when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"reference file {p} is absent")
    return p
