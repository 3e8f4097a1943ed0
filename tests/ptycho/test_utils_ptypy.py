"""``u.*`` against ptypy 0.9's ``ptypy.utils`` (array_utils, math_utils, plot_utils, verbose, misc,
scripts): the behaviour users' scripts rely on."""
from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy import ndimage

from beamkit.core.log import get_print_level, logger as root_logger
from beamkit.errors import ParameterError
from beamkit.ptycho import utils as u


# ---------------------------------------------------------------------------- rmphaseramp
def test_rmphaseramp_returns_ptypy_ramp_and_abs_weight():
    Y, X = np.indices((24, 30))
    a = (1 + 0.2 * np.cos(X / 4.0)) * np.exp(1j * (0.2 * Y - 0.15 * X))
    b, p = u.rmphaseramp(a, return_phaseramp=True)
    # ptypy: p = exp(-i(gy*y + gx*x)) with the gradient of exp(i angle) (sin of the step here)
    np.testing.assert_allclose(np.angle(p[1, 0] / p[0, 0]), -np.sin(0.2), atol=1e-12)
    np.testing.assert_allclose(np.angle(p[0, 1] / p[0, 0]), np.sin(0.15), atol=1e-12)
    np.testing.assert_allclose(b, a * p)
    np.testing.assert_allclose(u.rmphaseramp(a), a * p)
    # the ramp is removed up to ptypy's sin(step) estimate: 0.2 - sin(0.2) = 1.3e-3 rad/px left
    assert abs(np.angle(b[1, 0] / b[0, 0])) < 2e-3 and abs(np.angle(a[1, 0] / a[0, 0])) > 0.19
    bw, pw = u.rmphaseramp(a, weight="abs", return_phaseramp=True)
    np.testing.assert_allclose(pw, u.rmphaseramp(a, weight=np.abs(a), return_phaseramp=True)[1])
    np.testing.assert_allclose(bw, a * pw)
    with pytest.raises(ParameterError, match="weight"):
        u.rmphaseramp(a, weight="phase")


# ---------------------------------------------------------------------------- grids
def test_grids_geometric_centre_and_fft_wrap():
    np.testing.assert_allclose(u.grids((4,))[0], [-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_allclose(u.grids((4,), center="fft")[0], [0, 1, -2, -1])
    np.testing.assert_allclose(u.grids((4,), center="fft", FFTlike=False)[0], [0, 1, 2, 3])
    np.testing.assert_allclose(u.grids((5,))[0], [-2, -1, 0, 1, 2])
    g = u.grids((4, 6), psize=(2.0, 0.5), center="fftshift")
    np.testing.assert_allclose(g[0][:, 0], [-4, -2, 0, 2])
    np.testing.assert_allclose(g[1][0], [-1.5, -1, -0.5, 0, 0.5, 1])
    # ptypy's phase_from_dpc grid: fft order over [-pi, pi)
    q = u.grids((8,), psize=np.pi / 8, center="fft")[0]
    np.testing.assert_allclose(q, np.fft.fftfreq(8) * 8 * np.pi / 8)
    with pytest.raises(ParameterError, match="center"):
        u.grids((4,), center="middle")


def test_grids_fftshift_centre_is_n_over_2():
    # center='fftshift' puts the origin at N//2 (the optical axis of the simulated frames)
    for n in (6, 7):
        Y, X = u.grids((n, n), center="fftshift")
        np.testing.assert_allclose(Y[:, 0], np.arange(n) - n // 2)
        np.testing.assert_allclose(X[0], np.arange(n) - n // 2)


# ---------------------------------------------------------------------------- crop_pad
def test_crop_pad_total_planes_and_last_axes():
    assert u.crop_pad(np.ones((5, 5)), [4, 4]).shape == (9, 9)
    assert u.crop_pad(np.ones((5, 5)), [-2, -2]).shape == (3, 3)
    V = np.random.default_rng(0).random((3, 5, 5))
    B = u.crop_pad(V, [3, 4])                           # ptypy's docstring example
    assert B.shape == (3, 8, 9)
    np.testing.assert_array_equal(B, u.crop_pad(V, [(2, 1), (2, 2)]))
    np.testing.assert_array_equal(B, u.crop_pad(V, [(2, 1), (2, 2)], axes=[-2, -1]))
    np.testing.assert_array_equal(B[:, 2:7, 2:7], V)
    # odd totals: the low end gets the extra plane (pad and crop)
    np.testing.assert_array_equal(u.crop_pad(np.arange(1.0, 5.0), [5]), [0, 0, 0, 1, 2, 3, 4, 0, 0])
    np.testing.assert_array_equal(u.crop_pad(np.arange(6.0), [-3]), [2, 3, 4])
    np.testing.assert_array_equal(u.crop_pad_axis(np.arange(6.0), (-3, 2), 0), [3, 4, 5, 0, 0])
    np.testing.assert_array_equal(u.crop_pad_axis(np.arange(3.0), (2, -1), 0, filltype="mirror"), [1, 0, 0, 1])
    # around the fft origin: high frequencies of an unshifted spectrum
    np.testing.assert_array_equal(u.crop_pad(np.fft.fftfreq(8) * 8, [-4], cen="fft"), [0, 1, -2, -1])
    np.testing.assert_array_equal(u.crop_pad(np.array([0.0, 1, -2, -1]), [4], cen="fft"),
                                  [0, 1, 0, 0, 0, 0, -2, -1])
    with pytest.raises(ParameterError, match="hplanes"):
        u.crop_pad(np.ones((4, 4)), [1, 1, 1])
    with pytest.raises(ParameterError, match="axes"):
        u.crop_pad(np.ones((4, 4)), [1, 1], axes=[0])


# ---------------------------------------------------------------------------- shift_zoom
def test_shift_zoom_is_ptypy_affine_transform():
    rng = np.random.default_rng(1)
    c = rng.random((20, 24))
    zoom, co, cn = (2.0, 0.5), np.array([9.0, 11.0]), np.array([10.0, 12.5])
    ref = ndimage.affine_transform(c, np.diag(zoom), co - cn.dot(np.diag(zoom)), mode="constant")
    np.testing.assert_allclose(u.shift_zoom(c, zoom, co, cn), ref)          # scipy default order 3
    ref1 = ndimage.affine_transform(c, np.diag(zoom), co - cn.dot(np.diag(zoom)), order=1)
    np.testing.assert_allclose(u.shift_zoom(c, zoom, co, cn, order=1), ref1)
    cc = c + 1j * rng.random(c.shape)
    out = u.shift_zoom(cc, zoom, co, cn)
    np.testing.assert_allclose(out.imag, ndimage.affine_transform(cc.imag, np.diag(zoom),
                                                                   co - cn.dot(np.diag(zoom))))
    # zoom 2 samples the input every 2 px: an 8x8 square becomes 4x4
    sq = np.zeros((32, 32))
    sq[12:20, 12:20] = 1
    z = u.shift_zoom(sq, 2.0, (15.5, 15.5), (15.5, 15.5), order=0)
    assert (z > 0.5).sum() == 16


# ---------------------------------------------------------------------------- colours, images
def test_complex2hsv_layout_and_hsv2rgb():
    c = np.exp(1j * np.linspace(-3, 3, 12)).reshape(3, 4) * np.linspace(0, 2, 12).reshape(3, 4)
    hsv = u.complex2hsv(c)
    assert hsv.shape == (3, 3, 4)
    np.testing.assert_allclose(hsv[0], 0.5 * np.angle(c) / np.pi + 0.5)
    np.testing.assert_allclose(hsv[2], np.abs(c) / np.abs(c).max())
    rgb = u.hsv2rgb(hsv)
    assert rgb.shape == (3, 4, 3)
    np.testing.assert_allclose(u.complex2rgb(np.array([[1 + 0j]])), [[[0, 255, 255]]])   # phase 0: cyan
    np.testing.assert_allclose(u.hsv2rgb(np.array([[[0.0]], [[1.0]], [[1.0]]])), [[[255, 0, 0]]])
    np.testing.assert_allclose(rgb, u.complex2rgb(c))


def test_imsave_pil_cmap_object_and_extension(tmp_path):
    from PIL import Image
    import matplotlib
    a = np.arange(16.0).reshape(4, 4)
    im = u.imsave(a)
    assert isinstance(im, Image.Image) and im.mode == "L" and im.size == (4, 4)
    assert np.asarray(im)[3, 3] == 255 and np.asarray(im)[0, 0] == 0
    cm = matplotlib.colormaps["viridis"]
    im2 = u.imsave(a, tmp_path / "v.jpg", cmap=cm)       # a colormap object, as ptypy's tutorial
    assert isinstance(im2, Image.Image) and im2.mode == "RGB"
    assert (tmp_path / "v.jpg").read_bytes()[:2] == b"\xff\xd8"
    np.testing.assert_allclose(np.asarray(im2)[3, 3], np.array(cm(1.0)[:3]) * 255, atol=1)
    im3 = u.imsave(a, str(tmp_path / "g.tif"), cmap="gray")
    assert (tmp_path / "g.tif").read_bytes()[:2] in (b"II", b"MM") and im3.mode == "RGB"
    imc = u.imsave(np.exp(1j * a), tmp_path / "c.png")
    assert imc.mode == "RGB" and (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ParameterError, match="filename"):
        u.imsave(a, tmp_path / "x.unknownext")


# ---------------------------------------------------------------------------- verbose
class _Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_verbose_log_get_level_report():
    old = get_print_level()
    h = _Keep()
    root_logger.addHandler(h)
    try:
        u.verbose.set_level(3)
        u.verbose.log(3, "hello")
        u.verbose.log(5, "hidden")
        assert [r.getMessage() for r in h.records] == ["hello"] and h.records[0].levelno == logging.INFO
        assert u.verbose.get_level() == 3 and u.verbose.get_level("str") == "INFO"
        u.verbose.set_level(2)
        assert u.verbose.get_level() == 2 and u.verbose.get_level("str") == "WARNING"
        u.verbose.set_level(0)
        assert u.verbose.get_level() == 0 and u.verbose.get_level("str") == "CRITICAL"
        u.verbose.set_level("debug")
        assert u.verbose.get_level() == 5
        with pytest.raises(ParameterError, match="level"):
            u.verbose.log(9, "x")
    finally:
        root_logger.removeHandler(h)
        u.verbose.set_level(old)
    p = u.Param(scans=u.Param(MF=u.Param(name="Full", data=u.Param(shape=128))), arr=np.zeros((3, 4)),
                lst=[1, 2], none=None)
    text = u.verbose.report(p)
    assert text.startswith("\n---- Process #0 ----")
    body = u.verbose.report(p, noheader=True)
    assert "* MF" in body and "Full" in body and "[3x4 float64 array]" in body and "None" in body
    assert "* lst" in body and "= [1, 2]" in body
    assert u.verbose.report(np.arange(3), noheader=True).endswith("[array = [0 1 2]]\n")


# ---------------------------------------------------------------------------- smaller helpers
def test_expect_mass_center_clean_path(tmp_path):
    np.testing.assert_array_equal(u.expect2((1, 3, 4)), [1, 3])
    np.testing.assert_array_equal(u.expect2(3.0), [3, 3])
    np.testing.assert_array_equal(u.expect3((3, 4)), [3, 4, 4])
    np.testing.assert_array_equal(u.expect3((1, 3, 4, 5)), [1, 3, 4])
    np.testing.assert_array_equal(u.expect3(2), [2, 2, 2])
    A = np.zeros((5, 6))
    A[1, 2] = 1.0
    A[3, 4] = 3.0
    np.testing.assert_allclose(u.mass_center(A), [2.5, 3.5])
    mask = np.ones_like(A)
    mask[3, 4] = 0
    np.testing.assert_allclose(u.mass_center(A, mask=mask), [1, 2])
    # ptypy: axes lists the axes summed over, the others stay
    np.testing.assert_allclose(u.mass_center(A, axes=(1,)),
                               np.sum(A * np.indices(A.shape), axis=2) / A.sum())
    target = tmp_path / "new" / "deeper" / "file.h5"
    out = u.clean_path(str(target))
    assert out == str(target) and target.parent.is_dir() and not target.exists()


def test_small_exports(tmp_path, monkeypatch):
    d = {"a": 1}
    p = u.asParam(d)
    assert isinstance(p, u.Param) and p.a == 1 and u.asParam(p) is p
    assert u.keV2nm(7.2) == pytest.approx(u.keV2m(7.2) * 1e9) and u.nm2keV(u.keV2nm(7.2)) == pytest.approx(7.2)
    s = np.zeros((2, 9, 9))
    s[:, 4, 4] = 1
    f = u.gf_2d(s, 1.0)
    np.testing.assert_allclose(f[1], ndimage.gaussian_filter(s[1], 1.0))
    a = np.array([[1.0, 4, 9], [2, 3, 7]])
    np.testing.assert_array_equal(u.delxf(a), [[3, 5, 0], [1, 4, 0]])
    np.testing.assert_array_equal(u.delxb(a), [[0, 3, 5], [0, 1, 4]])
    np.testing.assert_array_equal(u.delxf(a, axis=0), [[1, -1, -2], [0, 0, 0]])
    A = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(u.switch_orientation(A, 4), A.T)
    np.testing.assert_array_equal(u.switch_orientation(A, (False, True, True)), A[::-1, ::-1])
    B, c = u.switch_orientation(A, 1, center=(0, 0))
    np.testing.assert_array_equal(B, A[:, ::-1])
    np.testing.assert_array_equal(c, [0, 2])
    with pytest.raises(ParameterError, match="orientation"):
        u.switch_orientation(A, 9)
    monkeypatch.setattr("builtins.input", lambda msg="": "")
    u.pause()
    u.pause(0, "go on")
    for name in ("load_from_ptyr", "asParam", "keV2nm", "gf_2d", "delxf", "delxb", "switch_orientation",
                 "crop_pad_axis", "pause"):
        assert name in u.__all__


def test_load_from_ptyr(tmp_path):
    from beamkit.ptycho.core.storage import Storage
    from beamkit.ptycho.io_ptyr import write_ptyr
    pr = Storage("S00G00", np.arange(32.0).reshape(2, 4, 4) + 0j, psize=1e-6)
    ob = Storage("S00G01", np.ones((1, 6, 6), complex), psize=1e-6)
    path = tmp_path / "r.ptyr"
    write_ptyr(path, [ob], [pr], u.Param(), u.Param())
    np.testing.assert_array_equal(u.load_from_ptyr(path), pr.data)
    np.testing.assert_array_equal(u.load_from_ptyr(str(path), "probe", "S00G00", layer=1), pr.data[1])
    np.testing.assert_array_equal(u.load_from_ptyr(path, what="obj"), ob.data)
    with pytest.raises(ParameterError, match="ID"):
        u.load_from_ptyr(path, ID="nope")
    with pytest.raises(ParameterError, match="layer"):
        u.load_from_ptyr(path, layer=5)
