"""Where the ``../shared`` reference folder is, and a helper that skips when a file is absent.

Import it in tests as ``from shared_data import SHARED, shared_file`` (``tests/`` is on
pytest's ``pythonpath``); ``conftest`` is ambiguous once sub-folders have their own.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BEAMKIT_SHARED", ROOT.parent / "shared")).resolve()


def shared_file(*parts) -> Path:
    """Path of a file under ../shared; skip the calling test when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"reference file {p} is absent")
    return p
