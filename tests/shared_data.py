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


PBSO4_CIF = ("gsas2-data", "PythonScript", "data", "PbSO4-Wyckoff.cif")


def gsas2_refl_csv(path):
    """Numeric rows (14 columns: h, k, l, mult, d, pos, sig, gam, FWHM, ...) of a GSAS-II reflection CSV export."""
    import numpy as np
    rows = []
    with open(path) as fh:
        for line in fh:
            parts = line.strip().split(",")
            if len(parts) == 14 and parts[0].lstrip("-").isdigit():
                rows.append([float(p) for p in parts])
    return np.array(rows)
