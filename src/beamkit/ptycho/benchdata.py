"""Load the shared ptypy MoonFlower benchmark (``ptypy-data/``) into a scan block, and score it.

Used by the quality test and ``bench/bench_ptycho.py``. The README's settings per engine are
in :data:`SETTINGS`, ptypy's measured results in :data:`PTYPY`.
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from ..errors import FormatError
from . import metrics
from .models import make_model

__all__ = ["SETTINGS", "PTYPY", "load_block", "score"]

#: engine -> (scan model, engine parameters beyond defaults), from ptypy-data/README.md
SETTINGS = {
    "DM": ("BlockFull", {}),
    "RAAR": ("BlockFull", {"beta": 0.9}),
    "EPIE": ("GradFull", {"alpha": 1.0, "beta": 1.0, "probe_update_start": 2, "object_norm_is_global": True,
                          "probe_center_tol": None}),
    "SDR": ("Full", {"sigma": 0.5, "tau": 0.1}),
    "ML": ("BlockFull", {"ML_type": "Gaussian", "reg_del2": True, "reg_del2_amplitude": 1.0, "scale_precond": True,
                         "smooth_gradient": 20.0, "smooth_gradient_decay": 0.02, "floating_intensities": False}),
}

#: ptypy 0.9.0 on the same file, 200 iterations: (s/iteration, object NRMSE)
PTYPY = {"DM": (0.219, 0.1761), "RAAR": (0.197, 0.2098), "EPIE": (0.241, 0.1890), "SDR": (0.212, 0.2876),
         "ML": (0.695, 0.1797)}


def load_block(folder, model="BlockFull", frames=None, backend="numpy"):
    """(block, truth dict) from ``moonflower161.ptyd`` and ``moonflower161_truth.npz`` in ``folder``.

    ``backend`` ('numpy' or 'cupy') is the array backend of the block's propagator; pass the
    engine's."""
    folder = Path(folder)
    f = folder / "moonflower161.ptyd"
    try:
        with h5py.File(f, "r") as h:
            ch = h["chunks"]
            keys = sorted(ch.keys(), key=int)
            data = np.concatenate([ch[k]["data"][()] for k in keys])
            pos = np.concatenate([ch[k]["positions"][()] for k in keys])
            idx = np.concatenate([ch[k]["indices"][()] for k in keys])
            meta = dict(psize=h["meta/psize"][()], distance=float(h["meta/distance"][()]),
                        energy=float(h["meta/energy"][()]))
    except (OSError, KeyError) as exc:
        raise FormatError(path=str(f), expected="a .ptyd with chunks/*/{data,positions,indices} and meta", got=str(exc)) from None
    order = np.argsort(idx)
    data, pos, idx = data[order], pos[order], idx[order]
    if frames is not None:
        data, pos, idx = data[:frames], pos[:frames], idx[:frames]
    truth = dict(np.load(folder / "moonflower161_truth.npz"))
    # a bare array is used as is (ptypy: no aperture, propagation, rescaling or diversity)
    blk = make_model(model, {"illumination": truth["initial_probe"]}, backend=backend).build(
        data, pos, meta, indices=idx)
    return blk, truth


def score(blk, truth, max_shift=16):
    """(NRMSE, best shift) of the block's object against the truth (README metric)."""
    N = blk.shape[-1]
    T, _ = metrics.paint_truth(truth["object"], truth["corner_px"][blk.indices], blk.views.corners, (N, N),
                               blk.obj.shape[-2:])
    w = metrics.fluence(blk.probe.data, blk.views.corners, blk.obj.shape[-2:])
    return metrics.nrmse(blk.obj.data[0], T, w, max_shift)
