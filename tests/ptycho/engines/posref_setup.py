"""Shared set-up of the position-refinement tests: a block whose positions are off by whole pixels."""
import numpy as np

from beamkit.ptycho.models import make_model

LAM = 1.2398419843320026e-9 / 7.2


def setup_block(sim, frac=0.0, offsets=None, pad=6):
    """Block with positions off by whole pixels (random -2..2, or ``offsets``) plus ``frac`` px; the true object."""
    N = sim["data"].shape[-1]
    ps = LAM * 7.19 / (N * 172e-6)
    pos = sim["positions"]
    if offsets is None:
        offsets = np.random.default_rng(3).integers(-2, 3, pos.shape)
    blk = make_model("Full", {"illumination": sim["probe"]}).build(sim["data"], pos + (offsets + frac) * ps,
                                                                   sim["meta"], pad_px=pad)
    c_true = np.round(blk.obj.pixel_of(pos + frac * ps) + 1e-5).astype(int) - N // 2
    off = c_true[0] - sim["corners"][0]
    T = np.ones(blk.obj.shape[-2:], np.complex64)
    L = sim["object"].shape[0]
    T[off[0]:off[0] + L, off[1]:off[1] + L] = sim["object"][:T.shape[0] - off[0], :T.shape[1] - off[1]]
    blk.obj.data[0] = T
    return blk, c_true, ps
