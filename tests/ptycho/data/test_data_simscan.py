"""SimScan and its pure functions (xy patterns, illumination, sample)."""
from __future__ import annotations

import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho.data import SimScan
from beamkit.ptycho.data import illumination as ill
from beamkit.ptycho.data import sample as sam
from beamkit.ptycho.data import xy
from beamkit.ptycho.utils import Param
from sim_setup import small_simscan  # noqa: E402


def _sim(**kw):
    return small_simscan(1, dict(model="raster", spacing=0.5e-6, steps=4),
                         **dict(dict(add_poisson_noise=False, pos_noise=0.0), **kw))


def test_xy_patterns():
    # ptypy's raster starts at 0 (column 0 the slow dx steps), not centred; ptypy rules in test_sim_ptypy_rules.py
    r = xy.from_pars(dict(model="raster", spacing=1e-6, steps=3))
    assert r.shape == (9, 2) and np.allclose(r.min(0), 0) and np.isclose(np.diff(np.unique(r[:, 0]))[0], 1e-6)
    ro = xy.from_pars(dict(model="round", spacing=1e-6, steps=4, extent=4e-6))
    assert np.abs(ro).max() <= 2e-6 + 1e-18 and len(ro) == 1 + 5 + 10      # shells 1 and 2 fit, shell 3 is cut
    sp = xy.from_pars(dict(model="spiral", spacing=1e-6, steps=6, extent=6e-6))
    d = np.sqrt(((sp[:, None] - sp[None]) ** 2).sum(-1)) + np.eye(len(sp))
    assert d.min() > 0.5e-6 and np.abs(sp).max() <= 3e-6
    j = xy.from_pars(dict(model="raster", spacing=1e-6, steps=3, jitter=1e-7, count=5, offset=1e-6))
    np.testing.assert_array_equal(j, r[:5] + 1e-6)                          # jitter: no effect (ptypy)
    with pytest.raises(ParameterError, match="xy.model"):
        xy.from_pars(dict(model="zigzag"))


def test_aperture_and_focus():
    from beamkit.ptycho.models.illumination import aperture, probe_modes
    shape, ps = (128, 128), 1e-8
    a = aperture(shape, ps, form="circ", size=0.8e-6, edge=1)
    assert abs(np.abs(a).sum() - np.pi * 40 ** 2) < 0.02 * np.pi * 40 ** 2
    b = aperture(shape, ps, form="circ", size=0.8e-6, edge=1, central_stop=0.5)
    assert abs(np.abs(b).sum() - 0.75 * np.pi * 40 ** 2) < 0.03 * np.pi * 40 ** 2
    r = aperture(shape, ps, form="rect", size=(0.4e-6, 0.8e-6), edge=1)
    assert abs(np.abs(r).sum() - 40 * 80) < 0.03 * 3200
    d = aperture(shape, ps, form="circ", size=0.8e-6, diffuser=(1.0, 2.0), rng=np.random.default_rng(0))
    assert np.std(np.angle(d[np.abs(d) > 0.9])) > 0.2   # ptypy's MPInoise2d phase screen (0.34 rad here; none: 0)
    lam = 1.5e-10
    pars = Param(aperture=Param(form="circ"), propagation=Param(focussed=0.1, spot_size=200e-9))
    P = probe_modes(pars, shape, 20e-9, lam, photons=1e6)[0]
    assert (np.abs(P) ** 2).sum() == pytest.approx(1e6, rel=1e-5)
    prof = np.abs(P[64]) ** 2
    fwhm = (prof > prof.max() / 2).sum() * 20e-9
    assert 60e-9 <= fwhm <= 120e-9     # ptypy's lens aperture 2*2^(1/4)*lam*f/spot: Airy FWHM 0.43 * 200 nm = 87 nm
    pars.propagation.parallel = 5e-4
    Q = probe_modes(pars, shape, 20e-9, lam, photons=1e6)[0]
    assert (np.abs(Q) ** 2).sum() == pytest.approx(1e6, rel=1e-5) and np.abs(Q).max() < np.abs(P).max()


def test_nearfield_is_unitary_and_reverses():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((64, 64)) + 1j * rng.standard_normal((64, 64))
    g = ill.nearfield(f, 1e-3, 1e-10, 1e-7)
    assert np.linalg.norm(g) == pytest.approx(np.linalg.norm(f), rel=1e-9)
    np.testing.assert_allclose(ill.nearfield(g, -1e-3, 1e-10, 1e-7), f, atol=1e-9)


def test_refractive_index_and_transmission():
    pytest.importorskip("periodictable")
    d, b = sam.refractive_index("Si3N4", 3.44, 7.2)
    assert 1.2e-5 < d < 1.6e-5 and 1e-7 < b < 5e-7            # tabulated values ~1.39e-5, 2.6e-7
    lam = 1.23984193e-9 / 7.2
    t = sam.transmission(np.ones(3), 1e-6, d, b, lam)
    assert np.angle(t[0]) == pytest.approx(-2 * np.pi / lam * d * 1e-6)
    with pytest.raises(ParameterError, match="formula"):
        sam.refractive_index("Xq9", 1.0, 7.2)
    o = sam.make_object((40, 40), "flower", process=dict(formula="Au", density=19.3, thickness=1e-7),
                        lam=lam, energy_kev=7.2)
    assert o.shape == (40, 40) and np.abs(o).max() <= 1 and np.angle(o).min() < -0.05


def test_simscan_geometry_and_noise_free_scale():
    s, c = _sim(detector=None)                          # ideal detector (the default {} is a Poisson CCD)
    assert len(c["iterable"]) == 16 and c["data"].shape == (16, 32, 32)
    # no noise, no psf: every frame carries the photons let through by the object (fill 1)
    np.testing.assert_allclose(c["data"].sum((1, 2)), 1e6, rtol=1e-4)
    np.testing.assert_allclose(c["positions"], s.true_positions, atol=0)
    res = 1.23984193e-9 / 7.2 * 7.19 / (32 * 172e-6)
    np.testing.assert_allclose(c["common"]["resolution"], res)


def test_simscan_psf_detector_and_parameters_without_effect():
    s, c = _sim(pos_noise=1e-8, pos_drift=[1e-9, 0.0], psf=2.0, frame_size=16, detector=Param())
    np.testing.assert_array_equal(c["positions"], s.true_positions)      # pos_*: no effect (ptypy)
    assert c["data"].shape == (16, 32, 32) and np.all(c["data"] == np.round(c["data"]))   # frame_size: none
    assert c["common"]["center"].tolist() == [16.0, 16.0]
    _, c2 = _sim(detector=Param(full_well=1000, shot_noise=0))
    assert c2["data"].max() == 1000
    _, c3 = _sim(detector="CAMERA_X")                  # unknown preset -> generic detector (ptypy)
    assert c3["data"].max() <= 65535


def test_simscan_probe_modes_from_diversity():
    s, c = _sim(illumination=Param(diversity=Param(power=[0.2, 0.1], noise=(0.3, 0.5))))
    assert s.probe.shape == (3, 32, 32)
    pw = (np.abs(s.probe) ** 2).sum((1, 2))
    np.testing.assert_allclose(pw[1:] / pw[0], [0.2, 0.1], rtol=1e-6)
    ov = np.vdot(s.probe[0], s.probe[1]) / np.sqrt(pw[0] * pw[1])
    assert abs(ov) < 0.99            # ptypy's diversify: phase noise on modes 1.., not orthogonalised
    assert isinstance(s, SimScan)


def test_simscan_moon_probe_and_bad_model():
    s, c = _sim(illumination=Param(model="moon", aperture=Param(form=None)))
    P = s.probe[0]
    assert (np.abs(P) ** 2).sum() == pytest.approx(1e6) and np.abs(P[0, 0]) < 1e-3 * np.abs(P).max()
    with pytest.raises(ParameterError, match="illumination.model"):
        _sim(illumination=Param(model="sun"))
