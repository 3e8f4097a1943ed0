import copy
import json
import os

import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho import Ptycho, utils as u


def _pars(home, engines=None, **io):
    p = u.Param()
    p.verbose_level = "warning"
    p.io = u.Param(home=str(home), autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False), **io)
    p.scans = u.Param(MF=u.Param(name="BlockFull", data=u.Param(name="MoonFlowerScan", num_frames=50, shape=64)))
    p.engines = engines or u.Param(e0=u.Param(name="DM", numiter=40))
    return p


def test_level5_runs_saves_and_reports(tmp_path):
    p = _pars(tmp_path, benchmark="all")
    before = copy.deepcopy(p)
    P = Ptycho(p, level=5)
    assert p == before                                    # the user's tree is never changed
    r = P.result
    # frames are simulated on whole pixels but reconstructed from unrounded positions placed as ptypy
    # places them (up to 1/2 px apart, notes/ptypy.md 6.3), so the Fourier error falls ~9x, not further
    assert r.errors.shape == (40, 3) and r.errors[-1, 0] < r.errors[0, 0] / 8
    assert r.object is P.obj.S["SMFG00"].data and r.probe.shape == (1, 64, 64)
    assert r.positions["SMFG00"].shape == (50, 2)
    info = P.runtime["iter_info"][-1]
    assert info["engine"] == "DM" and info["iteration"] == 40 and info["numiter"] == 40
    bench = json.loads((tmp_path / "benchmark.json").read_text())
    assert set(bench) == {"data_load", "engine_init", "engine_prepare", "engine_iterate", "engine_finalize"}
    assert bench["engine_iterate"] > 0
    rfile = P.paths.recon_file(P.runtime)
    assert os.path.isfile(rfile) and rfile.startswith(str(tmp_path))


@pytest.mark.parametrize("sep", ["", "/"])
def test_paths_are_joined_with_or_without_trailing_separator(tmp_path, sep):
    P = Ptycho(_pars(str(tmp_path / "runs" / "interact") + sep), level=1)
    P.runtime.update(run="interact", iter_info=[dict(engine="DM", iteration=71, iterations=71)])
    expect = os.path.join(str(tmp_path), "runs", "interact", "plots", "interact", "interact_DM_0071.png")
    assert os.path.normpath(P.paths.plot_file(P.runtime)) == expect


def test_engines_in_sequence_and_levels(tmp_path):
    eng = u.Param(a=u.Param(name="DM", numiter=6), b=u.Param(name="ML", numiter=4), c=u.Param(name="RAAR", numiter=3))
    P = Ptycho(_pars(tmp_path, eng), level=4)
    assert list(P.engines) == ["a", "b", "c"] and P.result.errors.shape == (0, 3)
    P.run()
    P.finalize()
    names = [i["engine"] for i in P.runtime["iter_info"]]
    assert names == ["DM"] * 6 + ["ML"] * 4 + ["RAAR"] * 3
    assert P.runtime["iterations"] == 13
    # 'iterations' runs on over the sequence (ptypy's alliter), 'iteration' counts per engine
    assert [i["iterations"] for i in P.runtime["iter_info"]] == list(range(1, 14))
    assert [i["iteration"] for i in P.runtime["iter_info"]][6:10] == [1, 2, 3, 4]


def test_unknown_names_are_reported_with_the_known_ones(tmp_path):
    p = _pars(tmp_path, u.Param(e0=u.Param(name="MLOPRX", numiter=2)))
    with pytest.raises(ParameterError) as exc:
        Ptycho(p, level=4)
    msg = str(exc.value)
    assert "MLOPRX" in msg and "DM" in msg and "DMOPR" in msg


def test_double_precision(tmp_path):
    p = _pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=3)))
    p.data_type = "double"
    P = Ptycho(p, level=5)
    assert P.obj.S["SMFG00"].data.dtype == np.complex128


def test_block_size_is_planned_from_memory(tmp_path):
    from beamkit.ptycho.engines.chunks import engine_memory, frames_per_block
    P = Ptycho(_pars(tmp_path), level=2)
    m = P.runtime["memory"]["MF"]
    assert m["frames_per_block"] == P.blocks[0].n and 0 < m["bytes_needed"] < m["bytes_free"]
    per = engine_memory(1, 2, (256, 256), 0)["total"]
    assert frames_per_block(10000, 2, (256, 256), 10**6, budget=1000 * per + 4 * 10**6 * 8) == 1000
    assert frames_per_block(50, 1, (64, 64), 10**5, budget=1) == 1


def test_keyword_arguments_update_the_tree(tmp_path):
    P = Ptycho(_pars(tmp_path), level=1, run="kw_run", backend="numpy")
    assert P.p.run == "kw_run" and P.runtime["run"] == "kw_run" and P.backend == "numpy"
    with pytest.raises(ParameterError):
        Ptycho(_pars(tmp_path), level=1, not_a_parameter=1)


def test_autoplot_pngs_and_movie(tmp_path):
    p = _pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=6)))
    p.io.autoplot = u.Param(active=True, interval=2, threaded=False, make_movie=True, dump=True)
    P = Ptycho(p, level=5)
    files = P.autoplot.files
    assert len(files) == 3 and all(os.path.getsize(f) > 10000 for f in files)
    assert all(f.startswith(os.path.join(str(tmp_path), "plots")) for f in files)
    assert P.autoplot.frames_txt and os.path.getsize(P.autoplot.movie) > 1000


@pytest.mark.parametrize("autoplot, autosave", [(dict(active=True), dict(active=True, interval=0)),
                                                (dict(active=True, dump=True, interval=0), dict(active=True, interval=-1))])
def test_autoplot_without_dump_and_zero_intervals_write_nothing(tmp_path, autoplot, autosave):
    """ptypy: autoplot.dump switches the image files on; interval 0 switches autoplot and autosave off."""
    p = _pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=4)))
    p.io.autoplot = u.Param(threaded=False, **autoplot)
    p.io.autosave = u.Param(**autosave)
    P = Ptycho(p, level=5)
    assert P.autoplot is None and not (tmp_path / "plots").exists() and not (tmp_path / "dumps").exists()


@pytest.fixture
def user_scan_names():
    """Names of user loaders a test declares on the global tree; removed afterwards so that the
    tree stays ptypy's for the reference test."""
    from beamkit.ptycho.data import ptyscan
    from beamkit.ptycho.params import TREE
    names = []
    yield names
    for n in names:
        TREE["scandata"].children.pop(n, None)
        ptyscan.SCANS.pop(n, None)


def _grid_loader(base):
    class GridLoader(base):
        def load_positions(self):
            return np.array([[i, j] for i in range(3) for j in range(3)], float) * 2e-6

        def load(self, indices):
            return {i: np.full((16, 16), float(self.info.get("level", 100))) for i in indices}, {}, {}
    return GridLoader


def test_user_loaders_accepted_and_rfile_none_disables_the_result_file(tmp_path, user_scan_names):
    from beamkit.ptycho.data import PtyScan, ptyscan

    Plain = type("PlainScanC", (_grid_loader(PtyScan),), {})          # a bare subclass
    user_scan_names += ["PlainScanC", "RegScanC"]

    @ptyscan.register
    class RegScanC(_grid_loader(PtyScan)):
        """A registered loader with its own key.

        Defaults:

        [level]
        default = 50.0
        type = float
        lowlim = 0.0
        help = frame value
        """
    from beamkit.ptycho.params import TREE
    assert TREE["scandata.RegScanC.level"].default == 50.0 and TREE["scandata.RegScanC.name"].default == "RegScanC"
    assert RegScanC.DEFAULT.level == 50.0 and Plain.__name__ == "PlainScanC"
    for name, extra in (("PlainScanC", {}), ("RegScanC", {"level": 20.0})):
        p = _pars(tmp_path / name, engines=u.Param(e0=u.Param(name="DM", numiter=2)), rfile=None)
        p.scans = u.Param(s=u.Param(name="Full", data=u.Param(name=name, shape=16, psize=75e-6, distance=1.0,
                                                              energy=7.0, **extra)))
        P = Ptycho(p, level=5)
        assert P.p.io.rfile is None and P.runtime.iterations == 2
        assert not list((tmp_path / name).rglob("*.ptyr")) and P.result_file is None   # rfile None: nothing saved
    bad = _pars(tmp_path, rfile=None)
    bad.scans = u.Param(s=u.Param(name="Full", data=u.Param(name="RegScanC", level=-1.0)))
    with pytest.raises(ParameterError, match="level"):
        Ptycho(bad, level=1)


def test_path_templates_take_ptypys_fields_and_bad_ones_fail_before_the_run(tmp_path):
    p = _pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=3)))
    p.io.rfile = "recons/%(run)s_%(iteration)03d_of_%(numiter)d.ptyr"
    P = Ptycho(p, level=5)
    assert os.path.isfile(tmp_path / "recons" / f"{P.runtime['run']}_003_of_3.ptyr")
    assert P.result_file == str(tmp_path / "recons" / f"{P.runtime['run']}_003_of_3.ptyr")
    p.io.rfile = "recons/%(nonsense)s.ptyr"
    with pytest.raises(ParameterError, match="io.rfile"):
        Ptycho(p, level=1)
    p.io.rfile = None
    p.io.rformat = "fulflat"                       # unknown: refused before any work
    with pytest.raises(ParameterError, match="io.rformat"):
        Ptycho(p, level=1)


def test_entries_beamkit_does_not_act_on_are_reported(tmp_path, caplog):
    import logging
    p = _pars(tmp_path)
    p.scans.MF.coherence = u.Param(energies=[1.0, 1.01], spectrum=[1.0, 0.5])
    with caplog.at_level(logging.WARNING):
        Ptycho(p, level=2)
    text = caplog.text
    assert "coherence.spectrum" in text and "coherence.energies" not in text     # energies are modelled


def test_scan_resolution_sets_the_object_pixel(tmp_path, caplog):
    """``scans.*.resolution`` forces the object pixel (ptypy's geometry misfit: the FFT frame is
    padded), the storages carry it and the reconstruction runs; it is no longer reported."""
    import logging
    p = _pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=4)))
    P0 = Ptycho(p, level=2)
    natural = float(P0.blocks[0].obj.psize[0])
    p.scans.MF.resolution = natural * 0.9
    with caplog.at_level(logging.WARNING):
        P = Ptycho(p, level=5)
    assert "resolution" not in caplog.text
    blk = P.blocks[0]
    np.testing.assert_allclose(blk.obj.psize, natural * 0.9)
    assert blk.prop.crop_pad[0] > 0 and blk.obj.shape[-1] > P0.blocks[0].obj.shape[-1]
    assert np.isfinite(P.runtime.iter_info[-1]["error"]).all()


def test_load_run_continues_from_the_saved_object(tmp_path):
    """A reloaded run (its saved tree holds every resolved default, position_refinement included)
    rebuilds the same unpadded object and carries on from it."""
    p = _pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=10)))
    P = Ptycho(p, level=5)
    Q = Ptycho.load_run(P.result_file)
    assert Q.blocks[0].obj is Q.obj.S["SMFG00"] and Q.blocks[0].obj.shape == P.blocks[0].obj.shape
    np.testing.assert_array_equal(Q.obj.S["SMFG00"].data, P.obj.S["SMFG00"].data)
    Q.run(epars=u.Param(name="DM", numiter=2))
    assert Q.runtime["iter_info"][-1]["error"][1] < 1.5 * P.runtime["iter_info"][-1]["error"][1]
