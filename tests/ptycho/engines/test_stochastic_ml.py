import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho import metrics
from beamkit.ptycho.engines import EPIE, ML, SDR, make_engine
from beamkit.ptycho.models import make_model


def _block(sim, model="Full", **pars):
    return make_model(model, dict(pars)).build(sim["data"], sim["positions"], sim["meta"])


def _quality(blk, sim):
    N = sim["data"].shape[-1]
    T, _ = metrics.paint_truth(sim["object"], sim["corners"], blk.views.corners, (N, N), blk.obj.shape[-2:])
    w = metrics.fluence(blk.probe.data, blk.views.corners, blk.obj.shape[-2:])
    return metrics.nrmse(blk.obj.data[0], T, w, max_shift=4)[0]


@pytest.mark.parametrize("E,model,pars,tol", [
    (EPIE, "GradFull", dict(probe_update_start=2, object_norm_is_global=True), 0.1),
    (SDR, "Full", dict(sigma=0.5, tau=0.1), 0.15),
])
def test_stochastic_engines_converge(sim, E, model, pars, tol):
    blk = _block(sim, model)
    e = E([blk], dict(numiter=40, probe_support=None, seed=1, **pars))
    info = e.run()
    assert info[-1]["error"][0] < 0.1 * info[0]["error"][0]
    assert _quality(blk, sim) < tol


# Poisson: the excess over the LL's minimum (ptypy's LL with Σ lnΓ(I+1)) falls more slowly (until the
# constant was added its LL was negative, so any ratio passed). From ptypy's default probe (an erf-edged
# disc of a third of the frame, centred at (N-1)/2) after 60 iterations: Poisson 1086 -> 652 (394 after
# 120), Euclid 770 -> 496; the old, wider tanh-edged default fell faster (911 -> 236, 630 -> 346)
@pytest.mark.parametrize("ml_type,drop", [("Gaussian", 0.2), ("Poisson", 0.7), ("Euclid", 0.75)])
def test_ml_likelihoods_decrease_and_reconstruct(sim_noisy, ml_type, drop):
    blk = _block(sim_noisy, "BlockFull")
    e = ML([blk], dict(numiter=60, ML_type=ml_type, probe_support=None, reg_del2=True, scale_precond=True))
    info = e.run()
    ll = np.array([i["error"][1] for i in info])
    assert info[0]["error"][0] == 0 and info[0]["error"][2] == 0      # ptypy's (0, LL/Npix, 0)
    if ml_type == "Poisson":     # ptypy's Poisson LL carries Σ lnΓ(I+1): compare the excess over its minimum
        from scipy.special import gammaln
        I = blk.diff.astype(float)
        ll = ll - (gammaln(I + 1) + I - I * np.log(np.maximum(I, 1e-300))).sum(axis=(-2, -1)).mean() / I[0].size
    assert ll[-1] < drop * ll[0]
    # ptypy's quadratic line step does not guarantee a decrease, and these runs are chaotic at the
    # rounding level (a 1e-7 relative change of the start probe moves the final Gaussian LL from
    # 133 to 287 and can add one rise), so allow at most two rises after the first steps
    assert (np.diff(ll[5:]) > 1e-6 * ll[0]).sum() <= 2
    assert _quality(blk, sim_noisy) < 0.2


def test_ml_quartic_line_search_and_floating_intensities(sim):
    blk = _block(sim, "BlockFull")
    e = ML([blk], dict(numiter=30, poly_line_coeffs="all", floating_intensities=True, smooth_gradient=2.0,
                       smooth_gradient_decay=0.1, wavefield_precond=True))
    info = e.run()
    assert info[-1]["error"][1] < 0.1 * info[0]["error"][1]
    assert np.all(np.isfinite(blk.obj.data))


def test_bad_engine_settings_raise_parameter_errors(sim):
    blk = _block(sim)
    with pytest.raises(ParameterError, match="ML_type"):
        ML([blk], dict(numiter=2, ML_type="bogus")).run()
    with pytest.raises(ParameterError, match="NOPE"):
        make_engine("NOPE", [blk])
    with pytest.raises(ParameterError, match="numiter_contiguous"):
        EPIE([blk], dict(numiter_contiguous=0))


@pytest.mark.parametrize("E,model,pars", [(EPIE, "GradFull", dict(object_norm_is_global=True)),
                                          (SDR, "Full", dict(sigma=0.5, tau=0.1))])
def test_single_mode_fast_path_matches_general_loop(sim, E, model, pars):
    out = []
    for general in (False, True):
        blk = _block(sim, model)
        e = E([blk], dict(numiter=5, seed=3, general_loop=general, **pars))
        info = e.run()
        out.append((blk.obj.data.copy(), blk.probe.data.copy(), info[-1]["error"]))
    np.testing.assert_allclose(out[0][0], out[1][0], rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-3, atol=1e-2 * np.abs(out[1][1]).max())
    np.testing.assert_allclose(out[0][2], out[1][2], rtol=1e-3)


def test_ml_smoothing_equals_ptypys_reflecting_gaussian_filter():
    """ML's smooth_gradient filter is scipy's gaussian_filter (mode 'reflect', truncate 4) on the
    real and imaginary parts, for large and sub-pixel σ (a periodic filter mixed opposite edges)."""
    import scipy.ndimage as ndi
    from beamkit.ptycho.engines.ml import _smooth
    rng = np.random.default_rng(1)
    a = (rng.random((2, 61, 70)) + 1j * rng.random((2, 61, 70))).astype(np.complex64)
    for sigma in (9.0, 2.5, 0.4):
        f = lambda x: ndi.gaussian_filter(x, (0, sigma, sigma), mode="reflect", truncate=4.0)  # noqa: E731
        ref = f(a.real.astype(np.float64)) + 1j * f(a.imag.astype(np.float64))
        np.testing.assert_allclose(_smooth(a, sigma, np), ref, atol=2e-6)


def test_stochastic_view_order_is_reproducible_by_default(sim):
    """Without a seed the view order is seeded with 0 (same result twice); seed=1 differs; a bad
    seed is a ParameterError naming it."""
    objs = []
    for extra in ({}, {}, {"seed": 1}):
        blk = _block(sim, "GradFull")
        EPIE([blk], dict(numiter=3, probe_support=None, **extra)).run()
        objs.append(blk.obj.data.copy())
    np.testing.assert_array_equal(objs[0], objs[1])
    assert not np.array_equal(objs[0], objs[2])
    with pytest.raises(ParameterError, match="seed"):
        EPIE([_block(sim, "GradFull")], dict(numiter=1, seed="x")).run()


def test_ml_poisson_reports_ptypys_log_likelihood(sim):
    """ptypy's Poisson LL includes Σ lnΓ(I+1): at the true model it is small and positive, not large and negative."""
    from scipy.special import gammaln
    from beamkit.ptycho.engines import ML
    from beamkit.ptycho.models import make_model
    blk = make_model("Full", {"illumination": sim["probe"]}).build(np.round(sim["data"]), sim["positions"], sim["meta"])
    info = ML([blk], dict(numiter=3, ML_type="Poisson", reg_del2=False, probe_update_start=5)).run()
    ll = np.array([i["error"][1] for i in info])
    npix = blk.diff.shape[-1] * blk.diff.shape[-2]
    I = blk.diff.astype(float)
    floor = (gammaln(I + 1) + I - I * np.log(np.maximum(I, 1e-300))).sum(axis=(-2, -1)).mean() / npix   # LL at Im = I
    assert np.all(ll > floor - 1e-3 * abs(floor)) and ll[-1] < ll[0]


@pytest.mark.parametrize("pars", [dict(clip_object=(0.5,)), dict(clip_object=(1.0, 0.5)), dict(clip_object="big")])
def test_bad_clip_object_is_a_clear_error_before_iterating(sim, pars):
    from beamkit.errors import ParameterError
    from beamkit.ptycho.engines import DM
    from beamkit.ptycho.models import make_model
    blk = make_model("Full", {}).build(sim["data"], sim["positions"], sim["meta"])
    with pytest.raises(ParameterError, match="clip_object"):
        DM([blk], dict(numiter=2, **pars))


def test_ml_intensity_renormalization_must_be_positive(sim):
    from beamkit.errors import ParameterError
    from beamkit.ptycho.engines import ML
    from beamkit.ptycho.models import make_model
    blk = make_model("Full", {}).build(sim["data"], sim["positions"], sim["meta"])
    with pytest.raises(ParameterError, match="intensity_renormalization"):
        ML([blk], dict(numiter=1, intensity_renormalization=0.0)).run()


def test_ml_poisson_floating_intensities_scale_the_bare_model(sim):
    """ptypy's PoissonModel: c = ΣI / Σ|f|², then I_model = c·|f|² + 1e-6 (the constant is added
    after scaling, so a dark model pixel stays at 1e-6 whatever c is)."""
    blk = make_model("Full", {"illumination": sim["probe"]}).build(np.round(sim["data"]), sim["positions"], sim["meta"])
    e = ML([blk], dict(numiter=1, ML_type="Poisson", floating_intensities=True))
    e.initialize()
    e.prepare()
    st = e.states[0]
    N = blk.shape[-1]
    F = np.zeros((1, st.K, N, N), np.complex64)
    F[0, 0, 0, 0] = 2.0                                   # one lit model pixel: |f|² = 4
    I = np.asarray(st.I[0], float)
    k = np.flatnonzero(I.ravel()[1:] > 0)[0] + 1           # a dark model pixel with counts
    fac, _ = e._residual(st, F, 0, 1)
    c = I.sum() / 4.0
    assert float(st.fi[0]) == pytest.approx(c, rel=1e-5)
    assert float(np.ravel(fac[0, 0])[k]) == pytest.approx(1 - I.ravel()[k] / 1e-6, rel=1e-4)
