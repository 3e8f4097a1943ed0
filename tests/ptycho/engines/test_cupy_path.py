"""The engines' CuPy code path: through a strict CPU stand-in for CuPy (fake_cupy) everywhere, and
through the real CuPy where it imports and sees a GPU (skipped otherwise).

With the stand-in no GPU is needed: device arrays refuse implicit host conversion and mixing with
host arrays as CuPy's do, so a host/device slip in the cupy path fails here. Each engine must give
the numpy backend's result (same start, same view order) to single-precision rounding.
"""
import sys

import numpy as np
import pytest

from beamkit.ptycho import engines
from beamkit.ptycho.models import make_model, propagation

import fake_cupy


def _real_cupy():
    try:
        import cupy
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return cupy
    except Exception:
        pass
    pytest.skip("no CuPy with a GPU here (the stand-in runs the same checks)")


@pytest.fixture(params=["stand-in", "cupy"])
def cupy_stub(request, monkeypatch):
    monkeypatch.setattr(propagation, "_BACKENDS", {})
    if request.param == "cupy":
        yield _real_cupy()
        return
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    yield fake_cupy


def test_stub_is_strict():
    cupy_stub = fake_cupy
    a = cupy_stub.asarray(np.ones(3))
    with pytest.raises(TypeError):
        np.asarray(a)
    with pytest.raises(TypeError):
        a + np.ones(3)
    with pytest.raises(TypeError):
        cupy_stub.abs(np.ones(3))
    assert float((a * 2).sum()) == 6.0 and isinstance(np.abs(a), fake_cupy.ndarray)


CASES = [("DM", "BlockFull", {}), ("RAAR", "BlockFull", {"beta": 0.9}),
         ("EPIE", "GradFull", {"probe_update_start": 1, "object_norm_is_global": True}),
         ("SDR", "Full", {"sigma": 0.5, "tau": 0.1}),
         ("ML", "BlockFull", {"reg_del2": True, "scale_precond": True, "smooth_gradient": 2.0})]


@pytest.mark.parametrize("name, model, pars", CASES)
def test_engine_on_the_cupy_path_equals_numpy(cupy_stub, sim, name, model, pars):
    out = {}
    for be in ("numpy", "cupy"):
        blk = make_model(model, {}, backend=be).build(sim["data"], sim["positions"], sim["meta"])
        e = engines.ENGINES[name]([blk], dict(numiter=4, seed=1, **pars), backend=be)
        info = e.run()
        assert isinstance(e.states[0].O, cupy_stub.ndarray) == (be == "cupy")
        assert isinstance(blk.obj.data, np.ndarray) and isinstance(blk.probe.data, np.ndarray)
        out[be] = blk.obj.data.copy(), blk.probe.data.copy(), np.array([i["error"] for i in info])
    (O0, P0, e0), (O1, P1, e1) = out["numpy"], out["cupy"]
    np.testing.assert_allclose(O1, O0, rtol=0, atol=1e-3 * np.abs(O0).max())
    np.testing.assert_allclose(P1, P0, rtol=0, atol=1e-3 * np.abs(P0).max())
    np.testing.assert_allclose(e1, e0, rtol=1e-3, atol=1e-6)


_PS = 1.2398419843320026e-9 / 7.2 * 7.19 / (32 * 172e-6)      # the simulation's object pixel (m)
_REF = dict(position_refinement=dict(start=0, amplitude=3 * _PS, max_shift=3 * _PS, nshifts=2))
NEW_PATHS = [("DMOPR", "OPRModel", {}, dict(subspace_dim=2)),
             ("MLOPR", "OPRModel", {}, dict(subspace_dim=2)),
             ("DM", "Full", {"resolution": _PS * 32 / 36}, {}),
             ("DM", "Full", {"coherence": {"energies": [1.0, 1.1]}}, {}),
             ("EPIE", "Full", {}, _REF),
             ("EPIE", "Full", {"coherence": {"num_probe_modes": 2}}, _REF),
             ("DM", "Full", {}, _REF)]


@pytest.mark.parametrize("name, model, mpars, pars", NEW_PATHS)
def test_newer_paths_on_the_cupy_path_equal_numpy(cupy_stub, sim, name, model, mpars, pars):
    """OPR engines, a forced object pixel, two energies and per-view position refinement."""
    errs = {}
    for be in ("numpy", "cupy"):
        blk = make_model(model, mpars, backend=be).build(sim["data"], sim["positions"], sim["meta"], pad_px=4)
        info = engines.ENGINES[name]([blk], dict(numiter=3, seed=1, **pars), backend=be).run()
        errs[be] = np.array([i["error"] for i in info])
    np.testing.assert_allclose(errs["cupy"], errs["numpy"], rtol=1e-3, atol=1e-6)


def test_ptycho_run_on_the_cupy_path(cupy_stub, tmp_path):
    """A whole Ptycho run with backend='cupy': two probe modes, position refinement, the three engine
    families in sequence, autosave, and storages back on the host."""
    from beamkit.ptycho import Ptycho, utils as u
    p = u.Param(verbose_level="warning")
    p.io = u.Param(home=str(tmp_path), autosave=u.Param(active=True, interval=3), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.scans = u.Param(MF=u.Param(name="BlockFull", coherence=u.Param(num_probe_modes=2),
                                 data=u.Param(name="MoonFlowerScan", num_frames=30, shape=32)))
    p.engines = u.Param(a=u.Param(name="DM", numiter=4, probe_fourier_support=0.9),
                        b=u.Param(name="ML", numiter=3, ML_type="Poisson"),
                        c=u.Param(name="RAAR", numiter=3, position_refinement=u.Param(start=0, amplitude=1e-7,
                                                                                      max_shift=2e-7)))
    P = Ptycho(p, level=5, backend="cupy")
    assert P.runtime["iterations"] == 10
    assert all(e.be.name == "cupy" and isinstance(e.states[0].O, cupy_stub.ndarray) for e in P.engines.values())
    assert isinstance(P.result.object, np.ndarray) and P.result.probe.shape == (2, 32, 32)
    assert np.all(np.isfinite(P.result.errors)) and np.isfinite(P.result.object).all()
    assert list(tmp_path.rglob("*.ptyr"))


def test_auto_backend_settles_once(monkeypatch, tmp_path):
    """backend='auto' becomes 'numpy' without a GPU, so the memory report does not ask CuPy for memory."""
    from beamkit.ptycho import Ptycho, utils as u
    monkeypatch.setitem(sys.modules, "cupy", None)          # as where CuPy is not installed
    monkeypatch.setattr(propagation, "_BACKENDS", {})
    p = u.Param(verbose_level="warning", io=u.Param(home=str(tmp_path), autosave=u.Param(active=False),
                                                    autoplot=u.Param(active=False), interaction=u.Param(active=False)))
    p.scans = u.Param(MF=u.Param(name="BlockFull", data=u.Param(name="MoonFlowerScan", num_frames=20, shape=32)))
    P = Ptycho(p, level=2, backend="auto")
    assert P.backend == "numpy" and P.runtime["memory"]["MF"]["frames_per_block"] == 20
