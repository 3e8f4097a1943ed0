"""beamkit.ptycho.utils: ptypy's u.* helpers."""
from __future__ import annotations

import numpy as np
import pytest

from beamkit.core.log import get_print_level
from beamkit.errors import ParameterError
from beamkit.ptycho import utils as u


def test_param_and_verbose():
    p = u.Param()
    p.scans = u.Param()
    p.scans.MF = u.Param(name="Full")
    p.scans.MF.data = {"name": "MoonFlowerScan"}
    assert isinstance(p.scans.MF.data, u.Param) and p.scans.MF.data.name == "MoonFlowerScan"
    old = get_print_level()
    try:
        u.verbose.set_level(5)
        assert get_print_level() == "debug"
        u.verbose.set_level("warning")
        assert get_print_level() == "warn"
        with pytest.raises(ParameterError):
            u.verbose.set_level("loud")
    finally:
        u.verbose.set_level(old)


def test_norms():
    a = np.array([3 + 4j, 1j])
    np.testing.assert_allclose(u.abs2(a), [25, 1])
    assert u.cabs2(a).dtype == a.dtype and u.cabs2(a)[0] == 25
    assert u.norm2(a) == 26 and u.norm(a) == pytest.approx(np.sqrt(26))
    assert u.ntrue(np.array([True, False, True])) == 2


def test_ortho():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((3, 16, 16)) + 1j * rng.standard_normal((3, 16, 16))
    amp, o = u.ortho(m)
    assert amp.sum() == pytest.approx(1) and np.all(np.diff(amp) <= 1e-12)
    G = o.reshape(3, -1).conj() @ o.reshape(3, -1).T
    assert np.abs(G - np.diag(np.diag(G))).max() < 1e-9 * np.abs(G).max()
    assert u.norm2(o) == pytest.approx(u.norm2(m))      # total power kept


def test_rebin_crop_pad():
    a = np.arange(16.0).reshape(4, 4)
    np.testing.assert_allclose(u.rebin(a, 2, 2), [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_allclose(u.rebin_2d(np.stack([a, a]), 2)[1], [[2.5, 4.5], [10.5, 12.5]])
    with pytest.raises(ParameterError):
        u.rebin(a, 3, 3)
    b = u.crop_pad(a, 4)                                # ptypy: 4 planes in total, 2 per end
    assert b.shape == (8, 8) and b[0, 0] == 0 and b[2, 2] == 0 and b[2, 3] == 1
    np.testing.assert_array_equal(u.crop_pad(b, -4), a)
    c = u.crop_pad(a, [1], axes=[1], filltype="periodic")
    np.testing.assert_array_equal(c[:, 0], a[:, -1])
    d, cen = u.crop_pad_symmetric_2d(a, 2)
    np.testing.assert_array_equal(d, a[1:3, 1:3]) and np.testing.assert_allclose(cen, [1, 1])


def test_shift_zoom_and_ellipse():
    a = np.zeros((32, 32))
    a[10, 12] = 1.0
    s = u.shift_zoom(a, 1.0, (10, 12), (16, 16), order=1)
    assert s[16, 16] == pytest.approx(1.0)
    z = u.shift_zoom(u.gf(np.pad(np.ones((8, 8)), 12), 0.5), 0.5, (15.5, 15.5), (15.5, 15.5))
    assert abs((z > 0.5).sum() - 256) <= 40                # 8x8 square zoomed twice -> 16x16
    g = u.grids((64, 64))
    e = u.ellipse(g, (10, 20), ew=1)
    assert e[32, 32] == pytest.approx(1) and e[0, 0] < 1e-6
    assert abs(e.sum() - np.pi * 10 * 20) < 0.02 * np.pi * 200
    c = u.c_gf(np.ones((8, 8)) * (1 + 1j), 1.0)
    np.testing.assert_allclose(c, 1 + 1j)
    assert u.keV2m(7.2) == pytest.approx(1. / (7.2 * 1000) * 4.1356e-7 * 2.9998, rel=1e-12)   # ptypy's utils formula


def test_imsave(tmp_path):
    a = np.exp(1j * np.linspace(0, 6, 64)).reshape(8, 8)
    rgb = np.asarray(u.imsave(a, tmp_path / "x.png"))   # a PIL Image, as ptypy
    assert rgb.shape == (8, 8, 3) and rgb.dtype == np.uint8
    assert (tmp_path / "x.png").read_bytes()[:4] == b"\x89PNG"
    assert np.asarray(u.imsave(np.arange(16.0).reshape(4, 4), cmap="gray")).shape == (4, 4, 3)


def test_rmphaseramp_mirror_imload_parallel(tmp_path):
    Y, X = np.indices((32, 40))
    base = np.exp(1j * 0.3) * (1 + 0.1 * np.cos(X / 5.0))
    a = base * np.exp(1j * (0.2 * Y - 0.15 * X))
    out, ramp = u.rmphaseramp(a, return_phaseramp=True)
    # ptypy: ramp p = exp(-i(...)) from the mean gradient of exp(i angle) (sin of the step), out = a*p
    np.testing.assert_allclose(np.angle(ramp[1, 0] / ramp[0, 0]), -np.sin(0.2), atol=2e-3)
    np.testing.assert_allclose(np.angle(ramp[0, 1] / ramp[0, 0]), np.sin(0.15), atol=2e-3)
    np.testing.assert_allclose(out, a * ramp)
    np.testing.assert_array_equal(u.mirror(np.arange(3)), [2, 1, 0])
    rgb = np.asarray(u.imsave(np.arange(64.0).reshape(8, 8), tmp_path / "g.png", cmap="gray"))
    img = u.imload(tmp_path / "g.png")                 # uint8, as ptypy (PIL)
    assert img.shape[:2] == (8, 8) and abs(img[..., 0].astype(float) - rgb[..., 0]).max() <= 1
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"no image")
    from beamkit.errors import FormatError
    with pytest.raises(FormatError, match="bad.png"):
        u.imload(bad)
    assert u.parallel.master and u.parallel.size == 1 and u.parallel.allreduce(5) == 5
