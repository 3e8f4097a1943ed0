import numpy as np
import pytest

from beamkit.ptycho import metrics
from beamkit.ptycho.engines.base import farfield_curve
from beamkit.ptycho.engines.projectional import DM, RAAR
from beamkit.ptycho.models import make_model


def _block(sim, model="BlockFull", **pars):
    m = make_model(model, dict(pars))
    return m.build(sim["data"], sim["positions"], sim["meta"])


def _quality(blk, sim):
    N = sim["data"].shape[-1]
    T, _ = metrics.paint_truth(sim["object"], sim["corners"], blk.views.corners, (N, N), blk.obj.shape[-2:])
    w = metrics.fluence(blk.probe.data, blk.views.corners, blk.obj.shape[-2:])
    return metrics.nrmse(blk.obj.data[0], T, w, max_shift=4)[0]


@pytest.mark.parametrize("E,pars", [(DM, {}), (RAAR, {"beta": 0.9})])
def test_engine_converges_on_simulation(sim, E, pars):
    blk = _block(sim, illumination={"aperture": {"size": None}})
    e = E([blk], dict(numiter=60, probe_support=None, **pars))
    info = e.run()
    first, last = info[0]["error"], info[-1]["error"]
    assert last[0] < 0.05 * first[0]          # Fourier error falls by > 20x
    assert _quality(blk, sim) < 0.1


def test_first_iteration_errors_are_consistent(sim):
    blk = _block(sim, illumination=sim["probe"])
    e = DM([blk], dict(numiter=1, fourier_relax_factor=None))
    e.run()
    # object = 1: the Photons error equals its definition computed directly with ptypy's far-field
    # propagator (the exit wave times exp(iπ(x²+y²)/(λz)) before the unitary FFT)
    I = sim["data"]
    po = np.fft.fft2(farfield_curve(blk) * sim["probe"] * np.ones_like(I), norm="ortho")
    model = np.abs(po) ** 2
    expect = (((model - np.fft.ifftshift(I, axes=(-2, -1))) ** 2) / (np.fft.ifftshift(I, axes=(-2, -1)) + 1)).sum(axis=(1, 2)) / I[0].size
    assert np.isclose(e.iter_info[0]["error"][1], expect.mean(), rtol=1e-3)


def test_fourier_magnitudes_are_sqrt_of_abs_data(sim):
    """ptypy takes the measured magnitudes as sqrt(|I|) (negative counts after background subtraction)."""
    from beamkit.ptycho.engines.base import EngineState
    from beamkit.ptycho.models import get_backend, make_model
    d = sim["data"].copy()
    d[0, 0, 0] = -4.0
    blk = make_model("Full").build(d, sim["positions"], sim["meta"])
    st = EngineState(blk, get_backend("numpy"), np.float32, np.complex64)
    assert np.isclose(float(st.fmag[np.unravel_index(np.argmin(blk.diff), blk.diff.shape)]), 2.0)
