"""Initial probe and object models as ptypy 0.9 builds them (illumination / sample init_storage)."""
import os
import time

import h5py
import numpy as np
import pytest
from scipy.special import erf
from shared_data import shared_file

from beamkit.errors import ParameterError
from beamkit.ptycho.core import Storage
from beamkit.ptycho.io_ptyr import write_ptyr
from beamkit.ptycho.models import make_model
from beamkit.ptycho.models.illumination import aperture, diversify, probe_modes
from beamkit.ptycho.models.initial import crop_pad, object_modes, phase_from_dpc


def _ps(sim):
    N = sim["data"].shape[-1]
    lam = 1.2398419843320026e-9 / 7.2
    return lam * 7.19 / (N * 172e-6)


def test_default_probe_is_the_readme_initial_probe():
    """ptypy's model=None probe for the MoonFlower data (README's initial_probe): an erf-edged disc of
    a third of the frame centred at (N-1)/2, scaled to the largest frame power."""
    truth = np.load(shared_file("ptypy-data", "moonflower161_truth.npz"))
    with h5py.File(shared_file("ptypy-data", "moonflower161.ptyd"), "r") as h:
        ch = h["chunks"]
        keys = sorted(ch.keys(), key=int)
        data = np.concatenate([ch[k]["data"][()] for k in keys])
        pos = np.concatenate([ch[k]["positions"][()] for k in keys])
        meta = dict(psize=h["meta/psize"][()], distance=float(h["meta/distance"][()]),
                    energy=float(h["meta/energy"][()]))
    blk = make_model("BlockFull", {}).build(data, pos, meta)
    P0 = truth["initial_probe"]
    np.testing.assert_allclose(blk.probe.data[0], P0, rtol=1e-5, atol=1e-5 * np.abs(P0).max())


def test_aperture_is_ptypys_erf_disc_centred_at_the_geometric_centre():
    N, ps = 64, 1e-8
    a = aperture((N, N), ps)
    y = np.arange(N) - (N - 1) / 2
    r = np.hypot(y[:, None], y[None, :])
    np.testing.assert_allclose(a.real, 0.5 + 0.5 * erf((N / 6 - r) * 2.35 / 2), atol=1e-6)
    assert np.allclose(a, a[::-1, ::-1]) and np.all(a.imag == 0)          # symmetric about (N-1)/2
    hard = aperture((N, N), ps, size=20 * ps, edge=0)
    assert set(np.unique(hard.real)) == {0.0, 1.0} and hard.real.sum() == (r <= 10).sum()
    rect = aperture((N, N), ps, "rect", size=(10 * ps, 20 * ps), edge=None)
    assert rect.real.sum() == 10 * 20
    stop = aperture((N, N), ps, size=20 * ps, edge=0, central_stop=0.5)
    assert stop.real.sum() == (r <= 10).sum() - (r <= 5).sum()
    off = aperture((N, N), ps, size=20 * ps, edge=0, offset=(3 * ps, 0.0))
    np.testing.assert_array_equal(off[3:], hard[:-3])
    np.testing.assert_array_equal(aperture((N, N), ps, None), np.ones((N, N)))
    with pytest.raises(ParameterError, match="aperture.form"):
        aperture((N, N), ps, "square")


def test_array_model_gets_aperture_and_photons_but_a_bare_array_is_used_as_is(sim):
    P = sim["probe"]
    ps, lam = _ps(sim), 1.2398419843320026e-9 / 7.2
    bare = make_model("Full", {"illumination": P}).build(sim["data"], sim["positions"], sim["meta"])
    np.testing.assert_array_equal(bare.probe.data[0], P)
    ap = aperture(P.shape, ps)
    maxp = float(sim["data"].sum(axis=(-2, -1)).max())
    expect = P * ap
    expect = expect * np.sqrt(maxp / (np.abs(expect) ** 2).sum())
    got = make_model("Full", {"illumination": {"model": P}}).build(sim["data"], sim["positions"], sim["meta"])
    np.testing.assert_allclose(got.probe.data[0], expect, rtol=1e-4, atol=1e-6 * np.abs(expect).max())
    noap = probe_modes({"model": P, "aperture": {"form": None}, "photons": 10.0}, P.shape, ps, lam)
    np.testing.assert_allclose(np.abs(noap[0]) ** 2 / 10.0, np.abs(P) ** 2 / (np.abs(P) ** 2).sum(), rtol=1e-4, atol=1e-9)
    with pytest.raises(ParameterError, match=r"scans\.MF\.illumination"):
        make_model("Full", {"illumination": P[:10]}).build(sim["data"], sim["positions"], sim["meta"])
    with pytest.raises(ParameterError, match=r"scans\.MF\.illumination\.model"):
        make_model("Full", {"illumination": {"model": "fancy"}}).build(sim["data"], sim["positions"], sim["meta"])


def test_probe_and_object_diversity_share_the_power_as_ptypy():
    ps, lam = 1e-8, 1e-10
    st = probe_modes({"photons": 1e6, "diversity": {"power": 0.1, "noise": None}}, (32, 32), ps, lam, nmodes=3)
    powers = (np.abs(st) ** 2).sum(axis=(1, 2))
    np.testing.assert_allclose(powers, 1e6 * np.array([1, 0.1, 0.1]) / 1.2, rtol=1e-5)
    noisy = probe_modes({"photons": 1e6}, (32, 32), ps, lam, nmodes=2)      # default noise (0.5, 1.0)
    assert not np.allclose(np.angle(noisy[1]), np.angle(noisy[0]), atol=1e-3)
    # sample diversity: default power 0.1, no noise; fill for model None
    ob = object_modes({"fill": 0.5 + 0.5j}, (20, 30), nmodes=2)
    np.testing.assert_allclose(ob[0], (0.5 + 0.5j) * np.sqrt(1 / 1.1), rtol=1e-6)
    np.testing.assert_allclose(ob[1], (0.5 + 0.5j) * np.sqrt(0.1 / 1.1), rtol=1e-6)
    assert np.array_equal(object_modes({"diversity": None}, (4, 4), 2), np.ones((2, 4, 4)))
    np.testing.assert_array_equal(diversify(np.ones((1, 4, 4)), (1.0, 1.0), 0.5), np.ones((1, 4, 4)))


def test_object_array_model_is_cropped_or_padded_centrally_with_fill():
    m = np.arange(16.0).reshape(4, 4)
    out = object_modes({"model": m, "fill": 7.0}, (6, 8))
    assert out.shape == (1, 6, 8)
    np.testing.assert_array_equal(out[0, 1:5, 2:6], m)
    assert np.all(out[0, 0] == 7.0) and np.all(out[0, :, :2] == 7.0)
    np.testing.assert_array_equal(crop_pad(np.arange(36.0).reshape(6, 6), (2, 2)), [[14, 15], [20, 21]])


def _write_recon(path, probe, obj, label="MF", extra=None):
    ps = [Storage(f"S{label}G00", probe, psize=1e-8)]
    os_ = [Storage(f"S{label}G00", obj, psize=1e-8)]
    if extra is not None:
        ps.insert(0, Storage("SotherG00", extra, psize=1e-8))
    write_ptyr(str(path), os_, ps, {}, {})


def test_recon_models_load_probe_and_object_from_a_ptyr(sim, tmp_path):
    P = sim["probe"]
    rng = np.random.default_rng(3)
    obj = (1 + 0.1 * rng.normal(size=(1, 40, 40))).astype(np.complex64)
    f = tmp_path / "old.ptyr"
    _write_recon(f, P[None] * 3, obj, extra=np.zeros((1,) + P.shape, np.complex64))
    pars = {"illumination": {"model": "recon", "recon": {"rfile": str(f)}, "aperture": {"form": None}},
            "sample": {"model": "recon", "recon": {"rfile": str(f)}, "fill": 2.0}}
    blk = make_model("Full", pars).build(sim["data"], sim["positions"], sim["meta"])
    np.testing.assert_allclose(blk.probe.data[0], 3 * P, rtol=1e-6)          # own scan's storage, no photon rescaling
    L = blk.obj.shape[-2:]
    oy, ox = (L[0] - 40) // 2, (L[1] - 40) // 2
    np.testing.assert_array_equal(blk.obj.data[0, oy:oy + 40, ox:ox + 40], obj[0])
    assert blk.obj.data[0, 0, 0] == 2.0
    # recon keeps the default aperture, like an array model
    ap = make_model("Full", {"illumination": {"model": "recon", "recon": {"rfile": str(f)}}}).build(
        sim["data"], sim["positions"], sim["meta"])
    np.testing.assert_allclose(ap.probe.data[0], 3 * P * aperture(P.shape, _ps(sim)), rtol=1e-4, atol=1e-3)
    # recon.label picks another scan's storage; a glob picks the newest file
    lab = probe_modes({"model": "recon", "recon": {"rfile": str(f), "label": "other"}}, P.shape, 1.0, 1e-10)
    assert np.all(lab == 0)
    g = tmp_path / "new.ptyr"
    _write_recon(g, P[None] * 5, obj)
    t = time.time()
    os.utime(f, (t - 100, t - 100))
    newest = probe_modes({"model": "recon", "aperture": {"form": None},
                          "recon": {"rfile": str(tmp_path / "*.ptyr")}}, P.shape, 1.0, 1e-10)
    np.testing.assert_allclose(newest[0], 5 * P, rtol=1e-6)


def test_missing_recon_file_is_a_parameter_error(sim, tmp_path):
    for where in ("illumination", "sample"):
        pars = {where: {"model": "recon", "recon": {"rfile": str(tmp_path / "absent.ptyr")}}}
        with pytest.raises(ParameterError, match=rf"scans\.MF\.{where}\.recon\.rfile"):
            make_model("Full", pars).build(sim["data"], sim["positions"], sim["meta"])
        pars = {where: {"model": "recon", "recon": {"rfile": str(tmp_path / "*.ptyr")}}}
        with pytest.raises(ParameterError, match=rf"scans\.MF\.{where}\.recon\.rfile"):
            make_model("Full", pars).build(sim["data"], sim["positions"], sim["meta"])


def test_stxm_object_follows_the_transmission(sim):
    blk = make_model("Full", {"sample": {"model": "stxm"}}).build(sim["data"], sim["positions"], sim["meta"])
    o = blk.obj.data[0]
    assert np.isfinite(o).all() and 0 < np.abs(o).max() <= 1.0 + 1e-6
    # transmission at each view centre against the truth's mean |object|^2 under the probe
    N = sim["data"].shape[-1]
    c = blk.views.corners + N // 2
    est = np.abs(o[c[:, 0], c[:, 1]])
    w = np.abs(sim["probe"]) ** 2
    tru = [np.sqrt((np.abs(sim["object"][y:y + N, x:x + N]) ** 2 * w).sum() / w.sum()) for y, x in sim["corners"]]
    assert np.corrcoef(est, tru)[0, 1] > 0.8
    np.testing.assert_array_equal(phase_from_dpc(np.zeros((5, 7)), np.zeros((5, 7))), np.zeros((5, 7)))


def test_shortcuts_spot_size_and_bad_aperture_pairs(tmp_path):
    """ptypy: a string illumination/sample is a shortcut without aperture, propagation or diversity
    ('x.ptyr' loads that file); spot_size sets the aperture size without focussed; sizes and
    offsets are a number or a (rows, cols) pair."""
    shape, ps, lam = (32, 32), 5e-8, 1.7e-10
    P = np.exp(1j * np.linspace(0, 1, 32 * 32)).reshape(shape).astype(np.complex64) * 3
    f = str(tmp_path / "r.ptyr")
    write_ptyr(f, [Storage("SMFG00", np.ones((1, 40, 40), np.complex64) * 0.5, psize=ps)],
               [Storage("SMFG00", P[None], psize=ps)], {}, {}, "minimal")
    Q = probe_modes(f, shape, ps, lam, 1)[0]
    np.testing.assert_allclose(Q, P, rtol=1e-6)                       # no aperture on a shortcut
    O = object_modes(f, (36, 36), 1, "MF")
    np.testing.assert_allclose(O, 0.5, rtol=1e-6)
    small = probe_modes({"propagation": {"spot_size": 5 * ps}}, shape, ps, lam, 1, photons=1.0)[0]   # 5 px vs 10.7
    default = probe_modes({}, shape, ps, lam, 1, photons=1.0)[0]
    assert (np.abs(small) > 0.5 * np.abs(small).max()).sum() < 0.5 * (np.abs(default) > 0.5 * np.abs(default).max()).sum()
    for key, val in (("size", (1e-6, 2e-6, 3e-6)), ("offset", (0.0, 0.0, 1e-7))):
        with pytest.raises(ParameterError, match=f"aperture.{key}"):
            aperture(shape, ps, "circ", **{key: val})
