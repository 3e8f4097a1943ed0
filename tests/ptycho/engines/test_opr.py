"""Orthogonal probe relaxation (ptypy's custom DMOPR/MLOPR engines) and the models engines accept."""
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho.engines import DM, DMOPR, ML, MLOPR, RAAR
from beamkit.ptycho.engines.opr import reduce_dimension
from beamkit.ptycho.models import make_model


def _build(sim, model, **pars):
    return make_model(model, pars).build(sim["data"], sim["positions"], sim["meta"])


def _rank(P, tol=1e-3):
    s = np.linalg.svd(P.reshape(P.shape[0], -1), compute_uv=False)
    return int((s > tol * s[0]).sum())


def test_engines_accept_ptypys_models(sim):
    """As ptypy: DM/RAAR/ML refuse OPR scans (DMOPR/MLOPR take them), ML takes GradFull."""
    for eng in (DM, RAAR, ML):
        with pytest.raises(ParameterError, match="OPRModel"):
            eng([_build(sim, "OPRModel")], dict(numiter=1)).run()
    for eng in (DMOPR, MLOPR):
        with pytest.raises(ParameterError, match="Full"):
            eng([_build(sim, "Full")], dict(numiter=1)).run()
    info = ML([_build(sim, "GradFull")], dict(numiter=3)).run()
    assert np.isfinite(info[-1]["error"]).all()


def test_reduce_dimension_keeps_the_leading_components():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 16, 16)) + 1j * rng.normal(size=(3, 16, 16))
    c = rng.normal(size=(40, 3)) * [10.0, 3.0, 1.0]
    P = (np.einsum("nk,kyx->nyx", c, base) + 0.01 * rng.normal(size=(40, 16, 16)))[:, None].astype(np.complex64)
    out, modes, coeffs = reduce_dimension(P, 2)
    A = P.reshape(40, -1).astype(complex)
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    best = ((U[:, :2] * s[:2]) @ Vh[:2]).reshape(P.shape)
    np.testing.assert_allclose(out, best, atol=1e-3 * np.abs(best).max())
    assert modes.shape == (2, 16, 16) and coeffs.shape == (40, 2) and _rank(out[:, 0]) == 2


def test_dmopr_and_mlopr_keep_the_probes_in_the_subspace(sim):
    blk = _build(sim, "OPRModel")
    e = DMOPR([blk], dict(numiter=15, probe_support=None, subspace_dim=2))
    info = e.run()
    P = blk.probe.data
    assert info[-1]["error"][0] < 0.5 * info[0]["error"][0]
    assert _rank(P) == 2 and not np.allclose(P[0], P[-1])          # the probes separate, in 2 dimensions
    assert e.opr_modes[blk.probe.ID].shape == (2, 32, 32)
    blk = _build(sim, "OPRModel")
    e = MLOPR([blk], dict(numiter=8, subspace_dim=3, subspace_start=4))
    e.run()
    assert _rank(blk.probe.data) <= 3 and e.opr_coeffs[blk.probe.ID].shape == (len(sim["data"]), 3)


def test_opr_scan_modes_start_identical_and_vanilla_probe_is_a_plain_disc(sim):
    """ptypy's OPRModel drops illumination.diversity; Vanilla starts from a circular aperture of
    illumination.size that is not rescaled to the data."""
    opr = _build(sim, "OPRModel", coherence={"num_probe_modes": 2})
    P = opr.probe.data.reshape(len(sim["data"]), 2, 32, 32)
    np.testing.assert_array_equal(P[:, 0], P[:, 1])
    full = _build(sim, "Full", coherence={"num_probe_modes": 2})
    assert not np.allclose(full.probe.data[0], full.probe.data[1])
    ps = float(opr.obj.psize[0])
    van = _build(sim, "Vanilla", illumination={"size": 12 * ps})
    a = np.abs(van.probe.data[0])
    assert a.max() == pytest.approx(1.0, abs=1e-3)
    assert (a > 0.5).sum() == pytest.approx(np.pi * 36, rel=0.15)


def test_opr_through_ptycho_leaves_modes_in_runtime(tmp_path):
    from beamkit.ptycho import Ptycho, utils as u
    p = u.Param(verbose_level="warning")
    p.io = u.Param(home=str(tmp_path), autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.scans = u.Param(MF=u.Param(name="OPRModel", data=u.Param(name="MoonFlowerScan", num_frames=20, shape=32)))
    p.engines = u.Param(e0=u.Param(name="DMOPR", numiter=3, subspace_dim=2))
    P = Ptycho(p, level=5)
    key = P.blocks[0].probe.ID
    assert P.runtime["OPR_modes"][key].shape == (2, 32, 32)
    assert P.runtime["OPR_allprobes"][key].shape[0] == len(P.blocks[0].indices)
