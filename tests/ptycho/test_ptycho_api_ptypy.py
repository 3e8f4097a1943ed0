"""ptypy's Ptycho attributes that user scripts call: P.model (scans, geometries, propagators),
citations, print_stats, data types, containers, new_data, plot_overview, bool mask, Paths,
u.plot_storage."""
import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from beamkit.ptycho import Ptycho, utils as u  # noqa: E402
from beamkit.ptycho.engines.base import farfield_curve  # noqa: E402


def _pars(home, engines=None, scan=None, **top):
    p = u.Param(verbose_level="warning")
    p.io = u.Param(home=str(home), autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.scans = u.Param(MF=u.Param(name="BlockFull", data=u.Param(name="MoonFlowerScan", num_frames=20, shape=32)))
    if scan:
        p.scans.MF.update(scan)
    p.engines = engines or u.Param(e0=u.Param(name="DM", numiter=2))
    p.update(top)
    return p


@pytest.fixture(scope="module")
def P(tmp_path_factory):
    return Ptycho(_pars(tmp_path_factory.mktemp("api")), level=5)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------- P.model / Geo
def test_model_scans_and_geometry_as_ptypy(P):
    scan = P.model.scans["MF"]
    assert list(P.model.scans) == ["MF"] and scan.label == "MF" and P.model.ptycho is P
    assert scan.ptyscan is P.scans["MF"] and scan.p is P.p.scans.MF
    assert scan.diff is P.diff.S["SMFG00"] and scan.mask is P.mask.S["SMFG00"]
    geo = scan.geometries[0]
    assert len(scan.geometries) == 1 and scan.geometries[0] is geo          # cached
    blk = P.blocks[0]
    np.testing.assert_array_equal(geo.resolution, P.obj.S["SMFG00"].psize)
    assert geo.resolution.shape == (2,) and geo.psize.shape == (2,)
    np.testing.assert_allclose(geo.psize, np.broadcast_to(blk.meta["psize"], (2,)))
    assert geo.energy == pytest.approx(blk.meta["energy"]) and geo.distance == pytest.approx(blk.meta["distance"])
    assert geo.lam == pytest.approx(1.23984198e-9 / geo.energy, rel=1e-6)
    assert geo.lz == pytest.approx(geo.lam * geo.distance)
    assert list(geo.shape) == [32, 32] and geo.propagation == "farfield"
    # ptypy's far-field relation between the pixels
    np.testing.assert_allclose(geo.resolution, geo.lz / (geo.shape * geo.psize), rtol=1e-6)


def test_geo_propagator_is_the_engines_model_in_ptypys_convention(P):
    blk = P.blocks[0]
    geo = P.model.scans["MF"].geometries[0]
    x = P.probe.S["SMFG00"].data[0] * blk.views[3].data[0]
    I = np.abs(geo.propagator.fw(x)) ** 2
    # the engines' model: beamkit's FFT-order propagator on the probe with ptypy's phase folded in
    ref = np.abs(blk.prop.to_detector(blk.prop.fw(farfield_curve(blk) * x))) ** 2
    np.testing.assert_allclose(I, ref, rtol=1e-4, atol=1e-6 * ref.max())
    # independently: ptypy's propagator = centred unitary FFT of exp(i pi r^2 / (lam z)) x
    n = 32
    r = (np.arange(n) - n // 2) * geo.resolution[0]
    curve = np.exp(1j * np.pi * (r[:, None] ** 2 + r[None, :] ** 2) / geo.lz)
    ind = np.abs(np.fft.fftshift(np.fft.fft2(curve * x, norm="ortho"))) ** 2
    np.testing.assert_allclose(I, ind, rtol=1e-3, atol=1e-5 * ind.max())
    # the reconstruction explains the data through this propagator, and bw inverts fw
    assert np.corrcoef(I.ravel(), P.diff.S["SMFG00"].data[3].ravel())[0, 1] > 0.8
    np.testing.assert_allclose(geo.propagator.bw(geo.propagator.fw(x)), x, atol=1e-5 * np.abs(x).max())


def test_one_geometry_per_energy(tmp_path):
    Q = Ptycho(_pars(tmp_path, scan=dict(coherence=u.Param(energies=[1.0, 0.9]))), level=2)
    geos = Q.model.scans["MF"].geometries
    assert len(geos) == 2
    assert geos[1].energy == pytest.approx(0.9 * geos[0].energy) and geos[1].lam == pytest.approx(geos[0].lam / 0.9)
    np.testing.assert_array_equal(geos[0].resolution, geos[1].resolution)
    blk = Q.blocks[0]
    k = blk.prop.k
    x = Q.probe.S["SMFG00"].data[0] * blk.views[0].data[0]
    stack = np.repeat(x[None], 2 * k, axis=0).astype(np.complex64)
    ref = np.abs(blk.prop.to_detector(blk.prop.fw(stack))) ** 2      # the phases live in the polychromatic propagator
    for e, g in enumerate(geos):
        np.testing.assert_allclose(np.abs(g.propagator.fw(x)) ** 2, ref[e * k], rtol=1e-4, atol=1e-6 * ref.max())


# ---------------------------------------------------------------------------- Ptycho attributes
def test_citations_data_types_and_containers(P):
    text = str(P.citations)
    assert "Ptypy framework" in text and "10.1098/rspa.2016.0640" in text
    assert "difference map" in text                       # the DM engine added its reference
    n = len(P.citations)
    P.citations.add_article(comment="The Ptypy framework", author="x", journal="y", volume=1, year=2000)
    assert len(P.citations) == n                          # one entry per comment, as ptypy
    assert P.data_type == "single" and P.CType is np.complex64 and P.FType is np.float32
    assert P.frames_per_block == P.p.frames_per_block
    assert P.plotter is None
    c = P.containers
    assert c["Cobj"] is P.obj and c["Cprobe"] is P.probe and c["Cdiff"] is P.diff and c["Cmask"] is P.mask


def test_double_precision_types(tmp_path):
    Q = Ptycho(_pars(tmp_path, data_type="double"), level=1)
    assert Q.data_type == "double" and Q.CType is np.complex128 and Q.FType is np.float64


@pytest.mark.parametrize("name", ["ML", "EPIE", "SDR", "RAAR"])
def test_engines_add_their_articles(tmp_path, name):
    Q = Ptycho(_pars(tmp_path, engines=u.Param(e0=u.Param(name=name, numiter=1))), level=4)
    key = {"ML": "maximum likelihood", "EPIE": "ePIE", "SDR": "Douglas-Rachford", "RAAR": "relaxed averaged"}[name]
    assert key in str(Q.citations)


def test_print_stats_reports_container_memory(P):
    text = P.print_stats()
    for cid in ("Cobj", "Cprobe", "Cdiff", "Cmask"):
        assert cid in text
    assert "SMFG00" in text and "Total Pods 20" in text
    mb = P.diff.S["SMFG00"].data.nbytes / 1e6
    assert f"{mb:6.1f}" in text


def test_new_data_lists_the_scans_of_the_last_poll(tmp_path):
    Q = Ptycho(_pars(tmp_path), level=2)
    assert [lab for lab, _ in Q.new_data] == ["MF"] and Q.new_data[0][1] is Q.diff.S["SMFG00"]
    Q.run()
    assert Q.new_data == []                                # as ptypy after polling with nothing new
    assert Q.model.new_data() == []


def test_record_positions(tmp_path):
    assert Ptycho(_pars(tmp_path), level=1).record_positions is False
    eng = u.Param(e0=u.Param(name="DM", numiter=2,
                             position_refinement=u.Param(start=0, stop=2, interval=1, amplitude=1e-6,
                                                         max_shift=2e-6, record=True)))
    Q = Ptycho(_pars(tmp_path, engines=eng), level=5)
    assert Q.record_positions is True and "Position refinement" in str(Q.citations)


def test_mask_is_bool_for_users_and_float_for_engines(P):
    m = P.mask.S["SMFG00"].data
    assert m.dtype == bool and P.mask.data_type == "bool"
    assert (~m).dtype == bool and not (~m).any()          # MoonFlower: every pixel valid
    assert P.blocks[0].mask.dtype == np.float32


def test_plot_overview_and_plot_storage(P, tmp_path):
    figs = P.plot_overview(path=tmp_path / "ov.png")
    assert len(figs) == 4 and all(isinstance(f, matplotlib.figure.Figure) for f in figs)
    assert sorted(os.listdir(tmp_path)) == [f"ov_{k}.png" for k in range(100, 104)]
    fig = u.plot_storage(P.obj.S["SMFG00"], 7, slices="0:1,:,:", si_axes="xy")
    assert isinstance(fig, matplotlib.figure.Figure) and fig.number == 7 and len(fig.axes) == 1
    assert fig.axes[0].get_xlabel().startswith("x [") and "Pixel" not in fig.axes[0].get_xlabel()
    fig = u.plot_storage(P.diff.S["SMFG00"], 8, "log", (slice(0, 3), slice(None), slice(None)), si_axes=None,
                         mask=P.mask.S["SMFG00"].data[0], cmap="viridis")
    assert len(fig.axes) == 6 and fig.axes[0].get_xlabel() == "x [Pixel]"      # 3 images + colorbars
    assert fig.axes[0].get_title() == "SMFG00#0, log scaled"


# ---------------------------------------------------------------------------- Paths
def test_paths_as_ptypy(P, tmp_path):
    pa = P.paths
    assert pa.recon_file() == pa.recon_file(P.runtime)          # runtime optional: the Ptycho's own
    assert pa.auto_file() == pa.auto_file(P.runtime) == pa.autosave_file(P.runtime)
    assert pa.auto_file().startswith(str(pa.home)) and "dumps" in pa.auto_file()
    assert pa.run(None) == P.runtime.run and pa.run("other") == "other"
    assert pa.get_path(pa.recon, P.runtime) == os.path.abspath(pa.recon_file())
    assert pa.get_path("x_%(engine)s_%(iterations)d.h5", P.runtime) == os.path.abspath("x_DM_2.h5")
    from beamkit.ptycho.autosave import Paths
    bare = Paths(u.Param(home=str(tmp_path)))
    assert bare.recon_file() == os.path.join(str(tmp_path), f"recons/{bare.run(None)}/{bare.run(None)}_None_0000.ptyr")
