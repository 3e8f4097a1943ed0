"""Details where the engines follow ptypy 0.9's code: ML's intensity renormalisation and floating
intensities, DM's probe-change buffer, probe recentring with the exit waves, clip_object at zero."""
import numpy as np
import pytest

from beamkit.ptycho.engines import DM, ML, SDR
from beamkit.ptycho.engines.kernels import exit_waves
from beamkit.ptycho.models import make_model


def _block(sim, model="Full", **pars):
    return make_model(model, dict(pars)).build(sim["data"], sim["positions"], sim["meta"])


def test_ml_intensity_renormalization_as_ptypy(sim):
    """Gaussian: w = R·m/(1/R + I) on the measured I; Poisson: R has no effect (ptypy's models)."""
    e = ML([_block(sim)], dict(numiter=1, intensity_renormalization=4.0))
    e.initialize()
    e.prepare()
    st = e.states[0]
    np.testing.assert_allclose(st.w, 4.0 / (0.25 + st.diff), rtol=1e-6)
    out = []
    for R in (1.0, 4.0):
        blk = _block(sim)
        ML([blk], dict(numiter=3, ML_type="Poisson", intensity_renormalization=R)).run()
        out.append(blk.obj.data.copy())
    np.testing.assert_array_equal(out[0], out[1])


def test_ml_floating_intensities_gradient_has_no_factor(sim):
    """ptypy: ξ = BW[w·(c·I_model − I)·f] (c scales the model and the line search, not the gradient)."""
    blk = _block(sim)
    e = ML([blk], dict(numiter=1, floating_intensities=True))
    e.initialize()
    e.prepare()
    st = e.states[0]
    F = st.blk.prop.fw(exit_waves(st.P, st.obj_views(), st.pidx, st.pm, st.om), 1)
    fac, _ = e._residual(st, F, 0, st.n)
    Im = (np.abs(F) ** 2).sum(axis=1)
    c = st.fi[:, None, None]
    assert np.ptp(st.fi) > 0 and not np.allclose(st.fi, 1)
    np.testing.assert_allclose(fac[:, 0], st.w * (c * Im - st.I), rtol=2e-4, atol=1e-6 * np.abs(fac).max())


def test_dm_first_probe_update_makes_a_second_overlap_pass(sim, monkeypatch):
    """ptypy's probe buffer starts at 0, so the first probe change is 1 and the overlap loop repeats."""
    calls = []
    orig = DM.probe_update

    def counted(self, i, st):
        change = orig(self, i, st)
        calls.append((self.curiter, change))
        return change
    monkeypatch.setattr(DM, "probe_update", counted)
    DM([_block(sim, "BlockFull")], dict(numiter=1, probe_update_start=0)).run()
    assert calls[0][1] == pytest.approx(1.0) and len(calls) >= 2


def _com(a):
    w = np.abs(a) ** 2
    w = w.reshape(-1, *w.shape[-2:]).sum(axis=0)
    return np.array([(w.sum(1) * np.arange(w.shape[0])).sum(), (w.sum(0) * np.arange(w.shape[1])).sum()]) / w.sum()


@pytest.mark.parametrize("E, pars", [(DM, {}), (SDR, dict(sigma=0.5, tau=0.1))])
def test_recentring_moves_probe_object_and_exit_waves_together(sim, E, pars):
    blk = _block(sim, "Full")
    blk.probe.data[...] = np.roll(blk.probe.data, (3, -2), axis=(-2, -1))       # off centre by (3, -2) px
    e = E([blk], dict(numiter=1, probe_center_tol=0.5, **pars))
    e.initialize()
    e.prepare()
    st = e.states[0]
    exits = (lambda: st.blk.prop.bw(st.ex, 1)) if isinstance(e, DM) else (lambda: st.ex)
    p0, x0 = _com(st.P), _com(exits())
    e.center_probe(st)
    p1, x1 = _com(st.P), _com(exits())
    assert np.hypot(*(p1 - np.array(st.P.shape[-2:]) // 2)) < 0.3           # probe centred
    assert np.hypot(*(p1 - p0)) > 3                                            # it moved
    np.testing.assert_allclose(x1 - x0, p1 - p0, atol=0.2)                     # the exit waves with it


def test_clip_object_sets_zero_pixels_to_the_minimum(sim):
    e = DM([_block(sim)], dict(numiter=1, clip_object=(0.5, 1.0)))
    O = np.array([0.0, 0.2j, 2.0, 0.7 - 0.1j], np.complex64)
    np.testing.assert_allclose(e.clip_object(O), [0.5, 0.5j, 1.0, 0.7 - 0.1j], rtol=1e-6)
