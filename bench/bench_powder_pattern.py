"""Benchmark: summing many peaks onto a powder pattern (beamkit.powder.pattern).

Compares, in the same run, the vectorised summation (flat point×peak pairs inside GSAS-II's
windows) with the per-reflection loop GSAS-II's getPowderProfile uses (one profile call per
reflection on its window slice), both calling the same profile functions, for
* CW: 5000 points, 500 reflections (FCJ asymmetry SH/L 0.002), values and with derivatives;
* TOF: the PbSO4 POWGEN-like case, 2499 points and 710 reflections with GSAS-II's wide windows.
Run: .venv/bin/python bench/bench_powder_pattern.py
"""
from __future__ import annotations


import numpy as np

from beamkit.powder import pattern as pt
from beamkit.powder import profile_cw as pc
from beamkit.powder import profile_tof as ptf
from _timing import best as _best


def loop_cw(x, pos, sig, gam, inten, shl):
    """GSAS-II style: a Python loop over reflections, each on its window slice."""
    y = np.zeros_like(x)
    lo, hi = pc.cw_peak_window(pos, sig, gam, shl)
    for k in range(len(pos)):
        i0, i1 = np.searchsorted(x, pos[k] - lo[k]), np.searchsorted(x, pos[k] + hi[k])
        if i1 > i0:
            y[i0:i1] += inten[k] * pc.fcj_voigt(x[i0:i1] - pos[k], pos[k], sig[k], gam[k], shl)
    return y


def loop_tof(x, pos, alp, bet, sig, gam, inten):
    y = np.zeros_like(x)
    lo, hi = ptf.tof_peak_window(pos, alp, bet, sig, gam)
    for k in range(len(pos)):
        i0, i1 = np.searchsorted(x, pos[k] - lo[k]), np.searchsorted(x, pos[k] + hi[k])
        if i1 > i0:
            y[i0:i1] += inten[k] * ptf.tof_profile(x[i0:i1] - pos[k], alp[k], bet[k], sig[k], gam[k])
    return y


def main():
    rng = np.random.default_rng(0)
    x = np.linspace(5.0, 150.0, 5000)
    m = 500
    pos = np.sort(rng.uniform(10, 145, m))
    sig, gam, inten = rng.uniform(2, 10, m), rng.uniform(1, 5, m), rng.uniform(100, 1000, m)
    y = pt.cw_pattern(x, pos, sig, gam, inten, 0.002)
    yl = loop_cw(x, pos, sig, gam, inten, 0.002)
    assert np.allclose(y, yl, rtol=1e-10, atol=1e-12)
    t_vec = _best(lambda: pt.cw_pattern(x, pos, sig, gam, inten, 0.002))
    t_der = _best(lambda: pt.cw_pattern(x, pos, sig, gam, inten, 0.002, derivs=True))
    t_loop = _best(lambda: loop_cw(x, pos, sig, gam, inten, 0.002), 2)
    print(f"CW 5000 points x 500 peaks: vectorised {1e3 * t_vec:.1f} ms "
          f"(with derivatives {1e3 * t_der:.1f} ms), per-reflection loop {1e3 * t_loop:.1f} ms "
          f"-> ratio {t_vec / t_loop:.3f}")

    e = 14000.0 * np.exp(np.arange(2500) * np.log(2.5) / 2500)
    xt = e[:-1] + np.diff(e) / 2
    d = np.sort(rng.uniform(0.62, 1.55, 710))
    post = 22600.0 * d - 0.9 * d * d + 2.6 / d - 8.5
    alp, bet = ptf.tof_alpha_beta(d, 0.1325, 0.1116, 0.00273)
    sgt, gmt = ptf.tof_sig_gam(d, 56.0, -167.4, 281.4, -3.73)
    gmt = gmt + 22.6 * d + 2.26 * d * d
    it = rng.uniform(10, 1000, 710)
    t_tv = _best(lambda: pt.tof_pattern(xt, post, alp, bet, sgt, gmt, it), 3)
    t_tl = _best(lambda: loop_tof(xt, post, alp, bet, sgt, gmt, it), 1)
    print(f"TOF 2499 points x 710 peaks: vectorised {1e3 * t_tv:.0f} ms, per-reflection loop "
          f"{1e3 * t_tl:.0f} ms -> ratio {t_tv / t_tl:.3f} (GSAS-II: about 1 s per simulation, notes §1)")


if __name__ == "__main__":
    main()
