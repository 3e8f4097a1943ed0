"""The probe convention of ptypy's far-field propagator (issue 8).

ptypy multiplies the exit wave by exp(iπ(x² + y²)/(λz)) (x, y from pixel N//2 in metres) before
its FFT. beamkit's far-field propagator is the plain unitary FFT, so the engines carry P·curve
internally and the storages keep ptypy's P. On ptypy's MoonFlower data this moves SDR from
0.2924 to 0.2873 (ptypy 0.2876-0.289); see test_shared_quality.py.
"""
import numpy as np

from beamkit.ptycho.engines import DM, EPIE, ML, SDR
from beamkit.ptycho.engines.base import farfield_curve
from beamkit.ptycho.models import make_model


def _block(sim, model="Full", **pars):
    return make_model(model, dict(pars)).build(sim["data"], sim["positions"], sim["meta"])


def test_curve_is_ptypys_quadratic_phase(sim):
    blk = _block(sim)
    c = farfield_curve(blk)
    N = c.shape[-1]
    lz = blk.meta["wavelength"] * sim["meta"]["distance"]
    ps = float(np.ravel(blk.obj.psize)[0])
    assert c.shape == blk.probe.data.shape[-2:] and c.dtype == np.complex64
    np.testing.assert_allclose(np.abs(c), 1, rtol=1e-6)
    # centre pixel N//2 has phase 0; the corner pixel (0, 0) has π·2·(N//2·ps)²/(λz) (about 0.066 rad here)
    assert c[N // 2, N // 2] == 1
    np.testing.assert_allclose(np.angle(c[0, 0]), np.pi * 2 * (N // 2 * ps) ** 2 / lz, rtol=1e-5)
    assert 0.03 < np.angle(c[0, 0]) < 0.2
    assert farfield_curve(_block(sim, propagation="nearfield")) is None


def test_storage_probe_keeps_ptypys_convention(sim):
    """Without probe updates the stored probe comes back unchanged (the curve is taken off again)."""
    cases = [(EPIE, "GradFull", dict(probe_update_start=10)), (SDR, "Full", dict(beta_probe=0.0)),
             (DM, "BlockFull", dict(probe_update_start=10)), (ML, "BlockFull", dict(probe_update_start=10))]
    for E, model, pars in cases:
        blk = _block(sim, model)
        P0 = blk.probe.data.copy()
        E([blk], dict(numiter=3, **pars)).run()
        np.testing.assert_allclose(blk.probe.data, P0, rtol=0, atol=1e-5 * np.abs(P0).max(), err_msg=E.__name__)


def test_engines_see_the_data_through_ptypys_propagator(sim):
    """The engines' first Fourier error is the one of ptypy's propagator applied to the stored P·O
    (object 1, nothing updated with alpha = beta = 0), not the one of the plain FFT."""
    blk = _block(sim, "GradFull", illumination=sim["probe"])
    P = blk.probe.data.reshape(blk.probe.data.shape[-2:]).copy()
    info = EPIE([blk], dict(numiter=1, probe_update_start=5, alpha=0.0, beta=0.0)).run()
    fmag = np.sqrt(np.fft.ifftshift(sim["data"], axes=(-2, -1)))
    err = lambda p: ((np.abs(np.fft.fft2(p * np.ones_like(fmag), norm="ortho")) - fmag) ** 2).mean()  # noqa: E731
    ptypy, plain = err(farfield_curve(blk) * P), err(P)
    np.testing.assert_allclose(info[0]["error"][0], ptypy, rtol=1e-4)
    assert abs(plain - ptypy) > 2e-3 * ptypy          # the convention is visible here (0.5 %)
