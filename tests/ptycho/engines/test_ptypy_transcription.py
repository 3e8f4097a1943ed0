"""Our batched/sequential engines against plain per-view loops written line by line from ptypy 0.9's
``engines/stochastic.py``, ``engines/utils.py`` (projection_update_generalized) and ``engines/ML.py``
(GaussianModel, Regul_del2, the smoothing preconditioner, scale_precond, Polak-Ribière, quadratic step).

Same start, same view order: the results must agree to single-precision rounding. This is what
pins our ePIE, SDR and ML to ptypy's algorithms (the MoonFlower NRMSE gaps in test_shared_quality
are not an algorithmic difference).
"""
import numpy as np
import pytest
from scipy import ndimage

from beamkit.ptycho.engines import EPIE, ML, SDR
from beamkit.ptycho.engines.base import farfield_curve
from beamkit.ptycho.models import make_model


def _block(sim, model):
    return make_model(model, {}).build(sim["data"], sim["positions"], sim["meta"])


def _props(blk):
    """ptypy's far-field propagator: the exit wave times exp(iπ(x²+y²)/(λz)) (x, y from pixel N//2),
    then the unitary FFT; the inverse undoes both (detector-plane phase factors do not matter here)."""
    c = farfield_curve(blk)
    return (lambda x: blk.prop.fw((c * x)[None, None], 1)[0, 0]), \
        (lambda x: c.conj() * blk.prop.bw(x[None, None], 1)[0, 0])


def ptypy_stochastic(blk, name, iters, seed, sigma=0.5, tau=0.1, probe_update_start=2):
    """ptypy's _StochasticEngine.engine_iterate for one mode (ePIE: GradFull with global object norm)."""
    fw, bw = _props(blk)
    O, P = blk.obj.data[0].copy(), blk.probe_array()[0, 0].copy()
    I, N, corners = blk.diff, blk.shape[-1], blk.views.corners
    if name == "EPIE":
        a, b, c, ob_a, ob_b, pr_a, pr_b, glob, pus = 0, 1, 1, 0.0, 1.0, 0.0, 1.0, True, probe_update_start
    else:
        a, b, c = 1 - tau * (1 + sigma), tau, 1 + sigma
        ob_a, ob_b, pr_a, pr_b, glob, pus = 0.9, 0.0, 0.1, 0.0, False, 0
    exit_ = np.stack([P * O[y:y + N, x:x + N] for y, x in corners])
    rng = np.random.default_rng(seed)
    for it in range(iters):
        for v in rng.permutation(len(corners)):
            y, x = corners[v]
            sl = (slice(y, y + N), slice(x, x + N))
            ex = exit_[v] if name == "SDR" else exit_[0]          # GradFull: one shared buffer
            f = fw((1 - c) * ex + c * P * O[sl])                   # projection_update_generalized
            af = np.sqrt(np.abs(f) ** 2)
            fm = np.sqrt(np.abs(I[v])) / (af + 1e-10)
            ex += b * bw(fm * f) + a * P * O[sl] - (a + b) * ex
            old = P * O[sl]                                          # exit_wave copy after the Fourier update
            pp = np.abs(P) ** 2
            O[sl] += (ob_a + ob_b) * np.conj(P) * (ex - old) / ((1 - ob_a) * pp.max() + ob_a * pp)
            if it >= pus:
                if glob:
                    on = (np.abs(O) ** 2).max()
                else:
                    oo = np.abs(O[sl]) ** 2
                    on = (1 - pr_a) * oo.max() + pr_a * oo
                P += (pr_a + pr_b) * np.conj(O[sl]) * (ex - old) / on
    return O, P


@pytest.mark.parametrize("name, model, pars", [
    ("EPIE", "GradFull", dict(alpha=1.0, beta=1.0, probe_update_start=2, object_norm_is_global=True)),
    ("SDR", "Full", dict(sigma=0.5, tau=0.1)),
])
def test_stochastic_engines_equal_ptypys_per_view_loop(sim, name, model, pars):
    blk = _block(sim, model)
    O_ref, P_ref = ptypy_stochastic(_block(sim, model), name, 5, seed=3)
    E = {"EPIE": EPIE, "SDR": SDR}[name]
    E([blk], dict(numiter=5, seed=3, **pars)).run()
    np.testing.assert_allclose(blk.obj.data[0], O_ref, rtol=0, atol=2e-4 * np.abs(O_ref).max())
    np.testing.assert_allclose(blk.probe.data.reshape(P_ref.shape), P_ref, rtol=0, atol=2e-4 * np.abs(P_ref).max())


def _delxf(a, axis):
    out = np.zeros_like(a)
    n = a.shape[axis]
    out.swapaxes(axis, -1)[..., :n - 1] = np.diff(a, axis=axis).swapaxes(axis, -1)
    return out


def _delxb(a, axis):
    out = np.zeros_like(a)
    out.swapaxes(axis, -1)[..., 1:] = np.diff(a, axis=axis).swapaxes(axis, -1)
    return out


def ptypy_ml(blk, iters, amp=1.0, smooth=3.0, decay=0.1, support=0.7, probe_update_start=2):
    """ptypy's ML.engine_iterate with the GaussianModel (one mode, mask 1, R = 1)."""
    fw, bw = _props(blk)
    O, P = blk.obj.data[0].copy(), blk.probe_array()[0, 0].copy()
    I, N, corners = blk.diff, blk.shape[-1], blk.views.corners
    w = (1.0 / (1.0 + I)).astype(np.float32)
    A = amp * I.size / (8.0 * O.size * (O.size / I.sum()))
    yy, xx = np.indices((N, N)) - (N / 2 - 0.5)            # grids(center="geometric")
    supp = np.pi * (yy ** 2 + xx ** 2) < support * N * N
    gf = lambda z, s: ndimage.gaussian_filter(z.real, s) + 1j * ndimage.gaussian_filter(z.imag, s)  # noqa: E731
    sig, tmin, scale = smooth, 1.0, None
    ob_h, pr_h, ob_grad, pr_grad = np.zeros_like(O), np.zeros_like(P), None, None
    lls = []
    for it in range(iters):
        gO, gP, LL = np.zeros_like(O), np.zeros_like(P), 0.0
        for v, (y, x) in enumerate(corners):
            sl = (slice(y, y + N), slice(x, x + N))
            f = fw(P * O[sl])
            DI = np.double(np.abs(f) ** 2) - I[v]
            LL += np.sum(w[v] * DI ** 2)
            xi = bw(w[v] * DI * f)
            gO[sl] += 2 * xi * P.conj()
            gP += 2 * xi * O[sl].conj()
        lls.append(LL / I[0].size / len(corners))
        d = [_delxf(O, -2), _delxf(O, -1), _delxb(O, -2), _delxb(O, -1)]
        gO += 2 * A * (d[2] + d[3] - d[0] - d[1])
        gP = gP * supp if it >= probe_update_start else np.zeros_like(P)
        sig *= 1 - decay
        gO = gf(gO, sig).astype(O.dtype)
        s_new = np.vdot(gO, gO).real / np.vdot(gP, gP).real if np.vdot(gP, gP).real > 1e-5 else 1.0
        scale = s_new if scale is None else scale ** 0.9 * s_new ** 0.1
        if it == 0:
            bt = 0.0
        else:
            num = scale * (np.vdot(gP, gP).real - np.vdot(gP, pr_grad).real) + np.vdot(gO, gO).real - np.vdot(gO, ob_grad).real
            bt = max(0.0, num / (scale * np.vdot(pr_grad, pr_grad).real + np.vdot(ob_grad, ob_grad).real))
        ob_grad, pr_grad = gO, gP * scale
        ob_h = ob_h * (bt / tmin) - gf(ob_grad, sig)
        pr_h = pr_h * (bt / tmin) - pr_grad
        B = np.zeros(3)
        for v, (y, x) in enumerate(corners):
            sl = (slice(y, y + N), slice(x, x + N))
            f, a, b = fw(P * O[sl]), fw(P * ob_h[sl] + pr_h * O[sl]), fw(pr_h * ob_h[sl])
            A0 = np.double(np.abs(f) ** 2) - I[v]
            A1 = 2 * np.real(f * a.conj()).astype(np.double)
            A2 = 2 * np.real(f * b.conj()).astype(np.double) + np.abs(a) ** 2
            B += [np.sum(w[v] * A0 ** 2), np.sum(w[v] * 2 * A0 * A1), np.sum(w[v] * (A1 ** 2 + 2 * A0 * A2))]
        h = [_delxf(ob_h, -2), _delxf(ob_h, -1), _delxb(ob_h, -2), _delxb(ob_h, -1)]
        B[1] += 2 * A * sum(np.vdot(p, q).real for p, q in zip(d, h))
        B[2] += A * sum(np.vdot(q, q).real for q in h)
        tmin = np.float32(-0.5 * B[1] / B[2])
        ob_h, pr_h = ob_h * tmin, pr_h * tmin
        O, P = (O + ob_h).astype(O.dtype), (P + pr_h).astype(P.dtype)
    return O, P, np.array(lls)


def test_ml_equals_ptypys_gaussian_model_loop(sim):
    """Gaussian likelihood, del² prior without wrap-around, smoothing preconditioner applied twice,
    scale_precond, Polak-Ribière with the scaled stored probe gradient, step −B1/(2·B2)."""
    O_ref, P_ref, ll_ref = ptypy_ml(_block(sim, "BlockFull"), 8)
    blk = _block(sim, "BlockFull")
    info = ML([blk], dict(numiter=8, ML_type="Gaussian", reg_del2=True, reg_del2_amplitude=1.0, scale_precond=True,
                          smooth_gradient=3.0, smooth_gradient_decay=0.1)).run()
    np.testing.assert_allclose([i["error"][1] for i in info], ll_ref, rtol=2e-4)
    np.testing.assert_allclose(blk.obj.data[0], O_ref, rtol=0, atol=1e-3 * np.abs(O_ref).max())
    np.testing.assert_allclose(blk.probe.data.reshape(P_ref.shape), P_ref, rtol=0, atol=1e-3 * np.abs(P_ref).max())


def test_del2_prior_has_no_wrap_around():
    """The prior's gradient is the derivative of its value, and a jump between opposite storage
    edges costs nothing (ptypy's delxf/delxb set the outermost difference to zero)."""
    e = ML.__new__(ML)
    e.xp, e.reg_amp = np, 0.7
    rng = np.random.default_rng(0)
    O = (rng.normal(size=(1, 9, 11)) + 1j * rng.normal(size=(1, 9, 11))).astype(np.complex128)
    g = e._reg_grad(O)
    d = (rng.normal(size=O.shape) + 1j * rng.normal(size=O.shape)) * 1e-6
    dLL = e._reg_ll(O + d) - e._reg_ll(O - d)
    np.testing.assert_allclose(dLL, 4 * np.vdot(g, d).real, rtol=1e-6)   # central difference of 2·Re<g, d>
    step = np.ones((1, 9, 11), complex)
    step[..., :, 6:] = 5.0                       # one jump inside; the edges differ by 4 but are not neighbours
    np.testing.assert_allclose(e._reg_ll(step), 2 * 0.7 * 9 * 16)


def test_line_search_steps_follow_ptypy():
    """'quadratic': t = −B1/(2·B2) even where B1 > 0 (no safeguard); 'all': the real stationary point
    of the full degree-8 line polynomial with the lowest value."""
    e = ML.__new__(ML)
    assert e._step([5.0, 2.0, 4.0]) == -0.25
    p = np.polynomial.Polynomial([1, 0, -3, 0, 1]) ** 2 + np.polynomial.Polynomial([0, 0.1])   # two wells
    B = list(p.coef) + [0.0] * (9 - len(p.coef))
    t = e._step(B)
    crit = p.deriv().roots()
    crit = crit[np.abs(crit.imag) < 1e-9].real
    assert t == pytest.approx(crit[np.argmin(p(crit))], abs=1e-9) and t < 0


def test_epie_equals_ptypys_loop_on_the_shared_moonflower_data():
    """On ptypy's own MoonFlower data (161 frames, ptypy's start): three ePIE iterations with the
    README's settings (the third updates the probe) agree with the transcribed loop, edge pixels
    with |O|² > 4 included."""
    from beamkit.ptycho import benchdata
    from shared_data import shared_file

    folder = shared_file("ptypy-data", "moonflower161.ptyd").parent
    model, pars = benchdata.SETTINGS["EPIE"]
    O_ref, P_ref = ptypy_stochastic(benchdata.load_block(folder, model)[0], "EPIE", 3, seed=0)
    blk, _ = benchdata.load_block(folder, model)
    EPIE([blk], dict(numiter=3, seed=0, **pars)).run()
    assert (np.abs(O_ref) ** 2).max() > 4          # the edge spikes that set the global object norm
    np.testing.assert_allclose(blk.obj.data[0], O_ref, rtol=0, atol=1e-4 * np.abs(O_ref).max())
    np.testing.assert_allclose(blk.probe.data.reshape(P_ref.shape), P_ref, rtol=0, atol=1e-4 * np.abs(P_ref).max())
