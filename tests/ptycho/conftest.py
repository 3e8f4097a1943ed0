"""Small simulated scans for the ptycho engine tests (no shared data needed)."""
from __future__ import annotations

# test modules that still say `from conftest import shared_file` may get this conftest
from shared_data import SHARED, shared_file  # noqa: F401

import numpy as np
import pytest
from scipy import ndimage


def simulate(n_side=6, N=32, step=6, photons=1e6, seed=0, noise=False, modes=1):
    """Far-field frames of a smooth random complex object under a Gaussian probe on a raster.

    Returns dict(data (n,N,N) centred frames, positions (n,2) m, meta, object, probe, corners).
    """
    rng = np.random.default_rng(seed)
    lam = 1.2398419843320026e-9 / 7.2
    dist, dps = 7.19, 172e-6
    opsize = lam * dist / (N * dps)
    L = (n_side - 1) * step + N + 8
    amp = 0.6 + 0.4 * ndimage.gaussian_filter(rng.random((L, L)), 2) / 0.5
    ph = 2.0 * (ndimage.gaussian_filter(rng.random((L, L)), 2) - 0.5)
    obj = (np.clip(amp, 0.1, 1.2) * np.exp(1j * ph)).astype(np.complex64)
    y = np.arange(N) - N // 2
    r2 = y[:, None] ** 2 + y[None, :] ** 2
    probe = (np.exp(-r2 / (2 * (N / 7) ** 2)) * np.exp(1j * 0.02 * r2)).astype(np.complex64)
    probe *= np.sqrt(photons / (np.abs(probe) ** 2).sum())
    gy, gx = np.meshgrid(np.arange(n_side), np.arange(n_side), indexing="ij")
    corners = np.stack([gy.ravel(), gx.ravel()], 1) * step + 4 + rng.integers(-1, 2, (n_side * n_side, 2))
    views = obj[corners[:, 0, None, None] + np.arange(N)[None, :, None], corners[:, 1, None, None] + np.arange(N)[None, None, :]]
    from beamkit.ptycho.data.illumination import farfield_intensity, farfield_phase
    I = farfield_intensity(probe * views, farfield_phase((N, N), opsize, lam, dist))   # ptypy's propagator
    if noise:
        I = rng.poisson(I).astype(np.float32)
    pos = (corners - corners.min(0)) * opsize
    meta = dict(psize=np.array([dps, dps]), distance=dist, energy=7.2, shape=(N, N))
    return dict(data=I.astype(np.float32), positions=pos, meta=meta, object=obj, probe=probe, corners=corners)


@pytest.fixture(scope="session")
def sim():
    return simulate()


@pytest.fixture(scope="session")
def sim_noisy():
    return simulate(noise=True, photons=1e7, seed=1)
