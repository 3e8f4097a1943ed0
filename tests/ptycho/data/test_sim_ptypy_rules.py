"""Simulation rules of ptypy 0.9 (core/xy.py, simulations/detector.py, simulations/simscan.py,
core/data.py MoonFlowerScan, core/sample.py simulate): the reference formulas are written out
here as plain loops and compared with beamkit's vectorised functions on small cases."""
from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy import ndimage

from beamkit.ptycho.data import MoonFlowerScan
from beamkit.ptycho.data import detector as det
from beamkit.ptycho.data import xy
from beamkit.ptycho.data.illumination import farfield_intensity
from beamkit.ptycho.data.sample import make_object
from beamkit.ptycho.utils import Param
from sim_setup import small_simscan  # noqa: E402


# ---- reference formulas (ptypy's rules, written as loops) ------------------------------------------
def ref_raster(dy, dx, ny, nx):
    out = []
    for i in range(nx):                 # slow index carries dx, in column 0
        for j in range(ny):
            out.append((dx * i, dy * j))
    return np.array(out, float)


def ref_round(dr, nr, nth=5):
    out = [(0.0, 0.0)]
    for ir in range(1, nr + 2):         # nr + 1 shells
        for k in range(nth * ir):
            th = k * (2 * np.pi / (nth * ir))
            out.append((ir * dr * np.sin(th), ir * dr * np.cos(th)))
    return np.array(out)


def ref_spiral(dr, rmax):
    out, k = [], 0
    while True:
        th = np.sqrt(4 * np.pi) * np.sqrt(k)
        r = dr / (2 * np.pi) * th
        if r > rmax:
            return np.array(out)
        out.append((r * np.sin(th), r * np.cos(th)))
        k += 1


def ref_from_pars(model, spacing=1.5e-6, steps=10, extent=15e-6, offset=0.0, count=None):
    e = steps * spacing
    pos = {"raster": lambda: ref_raster(spacing, spacing, steps, steps),
           "round": lambda: ref_round(spacing, steps // 2),
           "spiral": lambda: ref_spiral(spacing, e / 2)}[model]()
    pos = pos + offset
    if extent is not None:
        pos = np.array([q for q in pos if abs(q[0]) <= extent / 2 and abs(q[1]) <= extent / 2])
    if count:
        pos = pos[:count]
    return pos


def ref_detector_filter(I, d):
    """ptypy's Detector.filter on one 2-d frame, pixel by pixel (mask from the module layout)."""
    sh, g, m = np.array(d["shape"]) * [1, 1], np.array(d["gaps"]) * [1, 1], d["modules"]
    total = m[0] * sh[0] + (m[0] - 1) * g[0], m[1] * sh[1] + (m[1] - 1) * g[1]
    c = (total[0] // 2, total[1] // 2) if d["center"] is None else np.array(d["center"]) * [1, 1]
    mask = np.zeros(I.shape, bool)
    for a in range(I.shape[0]):
        for b in range(I.shape[1]):
            ya, xb = a + c[0] - I.shape[0] // 2, b + c[1] - I.shape[1] // 2
            mask[a, b] = (0 <= ya < total[0] and 0 <= xb < total[1]
                          and ya % (sh[0] + g[0]) < sh[0] and xb % (sh[1] + g[1]) < sh[1])
    I = np.abs(I.astype(float))
    if d["sci_psf"] is not None:
        I = d["sci_qe"] * ndimage.gaussian_filter(np.random.poisson(I).astype(float), d["sci_psf"])
    e = np.random.poisson(I * d["qe"]).astype(float)
    e += np.abs(np.random.standard_normal(I.shape) * d["shot_noise"])
    over = e >= d["full_well"]
    e[over] = d["full_well"]
    du = np.minimum(e // d["adu"], np.iinfo(d["dtype"]).max)
    du[~mask] = 0
    return du, mask & ~over


def _sim(**kw):
    return small_simscan(3, dict(model="round", spacing=0.5e-6, steps=4, extent=2e-6), **kw)


# ---- 1, 2, 7: scan patterns ------------------------------------------------------------------------
@pytest.mark.parametrize("d", [dict(model="raster"), dict(model="raster", extent=None), dict(model="raster", steps=3),
                               dict(model="spiral"), dict(model="spiral", steps=4), dict(model="spiral", extent=None),
                               dict(model="round"), dict(model="round", steps=4), dict(model="round", extent=None),
                               dict(model="round", offset=3e-6), dict(model="round", count=7),
                               dict(model="round", count=0), dict(model="raster", offset=-2e-6, count=5)])
def test_from_pars_as_ptypy(d):
    np.testing.assert_allclose(xy.from_pars(d), ref_from_pars(**d), rtol=0, atol=1e-18)


def test_raster_and_round_counts_as_ptypy():
    r = xy.from_pars(dict(model="raster"))
    assert len(r) == 36 and r.min() == 0 and r.max() == pytest.approx(7.5e-6)
    r = xy.from_pars(dict(model="raster", extent=None))
    assert len(r) == 100 and r.min() == 0 and r.max() == pytest.approx(13.5e-6)
    # round: steps//2 + 1 shells whatever the extent (extent None: 1 + 5*(1+...+6) = 106 points)
    assert len(xy.from_pars(dict(model="round", extent=None))) == 106
    assert len(xy.from_pars(dict(model="round", steps=4, extent=None))) == 1 + 5 * (1 + 2 + 3)
    j = xy.from_pars(dict(model="round", jitter=1e-6))
    np.testing.assert_array_equal(j, xy.from_pars(dict(model="round")))     # jitter: no effect


def test_moonflower_spiral_positions_as_ptypy():
    s = MoonFlowerScan(Param(num_frames=50, model="spiral", shape=64, add_poisson_noise=False))
    step = float(np.broadcast_to(s.resolution, (2,))[0]) * 64 * 0.2
    steps = int(np.round(np.sqrt(50) + 1))
    ref = ref_from_pars("spiral", spacing=step, steps=steps, extent=steps * step, count=50)
    np.testing.assert_allclose(s.load_positions(), ref, rtol=0, atol=1e-18)


# ---- 3: psf is a Gaussian sigma (px) / an unnormalised kernel ----------------------------------------
def test_simscan_psf_sigma_and_kernel():
    def frame0(psf):
        return _sim(detector=None, psf=psf)[0].load_batch([0])[0]
    f0 = frame0(None)
    np.testing.assert_allclose(frame0(2.0), ndimage.gaussian_filter(f0, (0, 2, 2)), rtol=1e-12)
    np.testing.assert_allclose(frame0((1.0, 3.0)), ndimage.gaussian_filter(f0, (0, 1, 3)), rtol=1e-12)
    k = np.ones((3, 3))
    fk = frame0(k)
    np.testing.assert_allclose(fk, ndimage.convolve(f0, k[None]), rtol=1e-12)
    assert fk.sum() > 8 * f0.sum()                      # not normalised


def test_simscan_frames_do_not_depend_on_chunking():
    """All frames are simulated together (ptypy's SimScan does it at set-up), so the noise of a
    frame is the same whether it comes in one chunk or several, and on a second load."""
    s, _ = _sim()
    np.random.seed(5)
    s._frames = None
    a = s.load_batch(np.arange(6))[0]
    np.random.seed(5)
    s._frames = None
    b = np.concatenate([s.load_batch([0, 1, 2])[0], s.load_batch([3, 4, 5])[0]])
    assert a.dtype == np.uint16 and np.array_equal(a, b) and np.array_equal(s.load_batch([0])[0][0], a[0])


def test_moonflower_psf_is_sigma():
    s0 = MoonFlowerScan(Param(num_frames=4, shape=64, add_poisson_noise=False, psf=0.0))
    s3 = MoonFlowerScan(Param(num_frames=4, shape=64, add_poisson_noise=False, psf=3.0))
    I0 = farfield_intensity(s0.exit_waves([0]), s0._phase)[0]
    np.testing.assert_array_equal(s3.load_batch([0])[0][0], ndimage.gaussian_filter(I0, 3.0).astype(np.int32))


# ---- 4, 5, 6: detector model, presets, default, PILATUS gaps and mask ----------------------------------
@pytest.mark.parametrize("name", ["GenericCCD16bit", "FLI_PL1001", "FRELON_TAPER", "PILATUS_300K", "CAMERA_X"])
def test_detector_filter_as_ptypy_seeded(name):
    d = det.detector_settings(name)
    I = np.random.default_rng(0).uniform(0, 3e5, (40, 48))
    np.random.seed(7)
    ref, rmask = ref_detector_filter(I, d)
    np.random.seed(7)
    du, mask = det.detector_filter(I, d)
    np.testing.assert_array_equal(du, ref)
    np.testing.assert_array_equal(mask, rmask)


def test_detector_presets_and_means():
    assert det.detector_settings("FRELON_TAPER")["full_well"] == 550000
    assert det.detector_settings("FLI_PL1001")["full_well"] == 500000
    assert det.detector_settings("GenericCCD32bit")["dtype"] == np.uint32
    I = np.full((64, 64), 1000.0)
    np.random.seed(1)
    assert det.detector_filter(I, "FLI_PL1001")[0].mean() == pytest.approx(100, abs=1)         # adu 10
    assert det.detector_filter(I, "FRELON_TAPER")[0].mean() == pytest.approx(1000 * 10 * 0.6 / 9, rel=0.01)
    du = det.detector_filter(np.full((64, 64), 1000.3), dict(shot_noise=0))[0]
    assert du.std() == pytest.approx(np.sqrt(1000), rel=0.1)                                  # Poisson always
    du, m = det.detector_filter(np.full((8, 8), 2e5), {})
    assert du.max() == 65535 and not m.any()                                                   # saturated masked


def test_unknown_preset_warns_and_is_generic(caplog):
    with caplog.at_level(logging.WARNING):
        d = det.detector_settings("CAMERA_X")
    assert "CAMERA_X" in caplog.text
    assert d == det.detector_settings({})


def test_pilatus_module_gaps():
    m = det.module_mask((197, 486), (17, 7), (3, 1))
    assert m.shape == (3 * 197 + 2 * 17, 486)
    assert not m[197:214].any() and m[:197].all() and m[214:411].all()
    m2 = det.module_mask((197, 486), (17, 7), (5, 2))
    assert m2.shape == (5 * 197 + 4 * 17, 2 * 486 + 7) and not m2[:, 486:493].any()
    fm = det.frame_mask((256, 256), det.detector_settings("PILATUS_300K"))
    rows = np.nonzero(~fm.any(1))[0]       # centre row 312 on frame row 128: gaps 197..213, 411..427 -> frame rows
    np.testing.assert_array_equal(rows, np.r_[197 - 312 + 128:214 - 312 + 128, 411 - 312 + 128:428 - 312 + 128])
    assert (~fm).sum() == 8704


def test_simscan_default_detector_is_generic_ccd():
    s, c = _sim(add_poisson_noise=False)                 # add_poisson_noise: no effect (ptypy)
    assert c["data"].dtype.kind in "uif" and np.all(c["data"] == np.round(c["data"]))
    raw = s.load_batch([0])[0]
    assert raw.dtype == np.uint16 and raw.max() <= 65535
    s2, _ = _sim(detector=None)
    f = s2.load_batch([0])[0]
    assert f.dtype == np.float64 and np.any(f != np.round(f))


def test_simscan_pilatus_weights_are_the_detector_mask():
    s, c = _sim(detector="PILATUS_300K", illumination=Param(photons=1e9))
    d, _, w = s.load_batch([0, 1])
    assert d.dtype == np.uint32 and w.shape == d.shape
    fm = det.frame_mask((32, 32), det.detector_settings("PILATUS_300K"))
    assert np.all(w[:, ~fm] == 0) and np.all(d[:, ~fm] == 0)
    s2, _ = _sim(detector=Param(full_well=100))
    d2, _, w2 = s2.load_batch([0])
    assert np.all(w2[d2 >= 100] == 0) and np.all(w2[d2 < 100] == 1)        # saturated pixels masked
    assert (c["iterable"][0]["mask"] == (w[0] > 0)).all()


# ---- 8: pos_noise / pos_scale / pos_drift / frame_size have no effect ------------------------------------
def test_position_and_frame_parameters_without_effect():
    s, c = _sim(pos_noise=1e-7, pos_scale=2.0, pos_drift=1e-7, frame_size=16, detector=None)
    np.testing.assert_array_equal(c["positions"], xy.from_pars(dict(model="round", spacing=0.5e-6, steps=4,
                                                                    extent=2e-6)))
    assert c["data"].shape[1:] == (32, 32)


# ---- 9: sample smoothing and offset -------------------------------------------------------------------
def test_sample_smoothing_and_offset_as_ptypy():
    rng = np.random.default_rng(0)
    A = (rng.random((20, 24)) + 0.2) * np.exp(1j * rng.random((20, 24)))
    b = make_object(A.shape, A, 1.0, dict(smoothing=2.0))
    ref = ndimage.gaussian_filter(A.real, 2 / 2.35) + 1j * ndimage.gaussian_filter(A.imag, 2 / 2.35)
    np.testing.assert_allclose(b, ref, rtol=1e-12)
    b = make_object(A.shape, A, 0.5, dict(offset=(3, -2)))
    ref = np.full(A.shape, 0.5 + 0j)
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if 0 <= i + 3 < A.shape[0] and 0 <= j - 2 < A.shape[1]:
                ref[i, j] = A[i + 3, j - 2]
    np.testing.assert_array_equal(b, ref)
