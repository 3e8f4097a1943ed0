"""Output files as ptypy 0.9 writes them: autosave schedule and names, HDF5 node types, list
packing, run name, runtime.stop, and the 'fullflat' kind (save_run / load_run)."""
import os
import sys

import h5py
import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.ptycho import Ptycho, utils as u
from beamkit.ptycho.autosave import run_name
from beamkit.ptycho.io_ptyr import h5read, h5write, read_ptyr


def _pars(home, engines, autosave=None, **io):
    p = u.Param(verbose_level="warning")
    p.io = u.Param(home=str(home), autoplot=u.Param(active=False), interaction=u.Param(active=False),
                   autosave=autosave or u.Param(active=False), **io)
    p.scans = u.Param(MF=u.Param(name="Full", data=u.Param(name="MoonFlowerScan", num_frames=20, shape=32)))
    p.engines = engines
    return p


def _names(files):
    return ["_".join(os.path.basename(f)[:-5].split("_")[-2:]) for f in files]


def test_autosave_before_each_block_on_the_engines_own_count(tmp_path):
    """ptypy (Ptycho.run): before engine.iterate(), if engine.curiter % interval == 0; curiter restarts
    at 0 for each engine; the name comes from the last iteration record (None_0000 before any)."""
    eng = u.Param(e0=u.Param(name="DM", numiter=7), e1=u.Param(name="ML", numiter=7))
    P = Ptycho(_pars(tmp_path, eng, u.Param(active=True, interval=3)), level=5)
    assert _names(P.autosave.files) == ["None_0000", "DM_0003", "DM_0006", "DM_0007", "ML_0010", "ML_0013"]
    assert all(f.startswith(str(tmp_path / "dumps")) for f in P.autosave.files)
    assert P.runtime["last_save"] == 6                       # ML's curiter at its last autosave
    # a dump holds the state at its save: DM_0007 is the DM result, written as ML starts
    d = read_ptyr(P.autosave.files[3])["content"]["runtime"]["iter_info"]
    assert [(i["engine"], i["iterations"]) for i in d] == [("DM", 7)]
    # blocks of numiter_contiguous: curiter 0, 2, 4, 6 -> saved at 0 and 6
    eng = u.Param(e0=u.Param(name="DM", numiter=8, numiter_contiguous=2))
    P = Ptycho(_pars(tmp_path / "b", eng, u.Param(active=True, interval=3)), level=5)
    assert _names(P.autosave.files) == ["None_0000", "DM_0006"]


def test_node_types_are_ptypys(tmp_path):
    eng = u.Param(e0=u.Param(name="DM", numiter=3, position_refinement=u.Param(start=1, stop=3, record=True,
                                                                              amplitude=1e-6, max_shift=2e-6)))
    P = Ptycho(_pars(tmp_path, eng), level=5)
    with h5py.File(P.result_file) as h:
        t = lambda k: h[k].attrs["type"]
        assert [t(k) for k in ("content", "content/pars", "content/pars/io", "content/runtime")] == ["param"] * 4
        for k in ("header", "content/obj", "content/probe", "content/obj/SMFG00", "content/probe/SMFG00",
                  "content/obj/SMFG00/_recs", "content/obj/SMFG00/_pool", "content/positions",
                  "content/runtime/iter_info/00000"):
            assert t(k) == "dict", k
        assert t("content/runtime/iter_info") == "list"


@pytest.mark.parametrize("value, kind", [([1, 2.5], "list"), ((0, 0.5), "tuple"), ([True, 1], "list"),
                                         (["a", "b"], "list"), ([1, 2], "arraylist"), ((0.0, 0.5), "arraytuple"),
                                         ([np.arange(2), np.arange(2)], "arraylist")])
def test_lists_pack_into_one_array_only_with_one_element_type(tmp_path, value, kind):
    f = tmp_path / "l.h5"
    h5write(f, {"v": value})
    with h5py.File(f) as h:
        assert h["v"].attrs["type"] == kind
    back = h5read(f)["v"]
    assert type(back) is type(value) and len(back) == len(value)
    for a, b in zip(back, value):
        np.testing.assert_array_equal(a, b)
        if kind in ("list", "tuple"):
            assert type(a) is type(b)           # 1 stays int, 2.5 float, True bool


def test_run_name_is_the_script_name_up_to_its_first_dot(tmp_path, monkeypatch):
    assert run_name(None, "/some/where/my.run.py") == "my" and run_name("given", "/x/my.run.py") == "given"
    assert run_name(None, "") == "beamkit" and run_name(None, "-c") == "beamkit"
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "my.run.py")])
    P = Ptycho(_pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=1))), level=5)
    assert P.runtime["run"] == "my"
    assert P.result_file == os.path.join(str(tmp_path), "recons", "my", "my_DM_0001.ptyr")


def test_runtime_stop_is_set_after_each_engine(tmp_path):
    eng = u.Param(e0=u.Param(name="DM", numiter=2), e1=u.Param(name="DM", numiter=1))
    p = _pars(tmp_path, eng)
    P = Ptycho(p, level=5)
    assert isinstance(P.runtime["stop"], str)
    first, second = (os.path.join(str(tmp_path), "recons", P.runtime["run"], f"{P.runtime['run']}_DM_{n:04d}.ptyr")
                     for n in (2, 3))
    # as ptypy: set after the engine's result file is written, so only the second file has it
    assert "stop" not in read_ptyr(first)["content"]["runtime"]
    assert isinstance(read_ptyr(second)["content"]["runtime"]["stop"], str)


def test_fullflat_saves_the_flat_pool_and_loads_back(tmp_path):
    P = Ptycho(_pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=2))), level=5)
    f = P.save_run(str(tmp_path / "ff.ptyr"), kind="fullflat")
    tree = read_ptyr(f)
    assert tree["header"]["kind"] == "fullflat"
    pool = tree["content"]
    root = pool[pool["root"]]
    assert {"p", "runtime", "probe", "obj", "diff", "mask"} <= set(root)
    obj = pool[root["obj"]]
    assert pool[obj["storages"]["SMFG00"]]["owner"] == root["obj"]
    assert pool[pool[root["diff"]]["storages"]["SMFG00"]]["data"].shape[-2:] == (1, 1)   # data not kept
    assert P.blocks and P.autosave is not None                   # the live Ptycho is left usable
    Q = Ptycho.load_run(f, load_data=False)
    for cont, ref in ((Q.obj, P.obj), (Q.probe, P.probe)):
        np.testing.assert_array_equal(cont.S["SMFG00"].data, ref.S["SMFG00"].data)
        np.testing.assert_allclose(cont.S["SMFG00"].psize, ref.S["SMFG00"].psize)
    assert set(Q.diff.S) == set(P.diff.S) and len(Q.runtime["iter_info"]) == 2
    assert Q.runtime["run"] == P.runtime["run"]
    Q = Ptycho.load_run(f, load_data=True)
    assert Q.blocks and np.array_equal(Q.obj.S["SMFG00"].data, P.obj.S["SMFG00"].data)
    Q.run(epars=u.Param(name="DM", numiter=1))
    assert len(Q.runtime["iter_info"]) == 3
    # io.rformat 'fullflat' writes the result file in that kind
    R = Ptycho(_pars(tmp_path / "r", u.Param(e0=u.Param(name="DM", numiter=1)), rformat="fullflat"), level=5)
    assert read_ptyr(R.result_file)["header"]["kind"] == "fullflat"


def test_unknown_save_kind_names_the_kind_argument(tmp_path):
    P = Ptycho(_pars(tmp_path, u.Param(e0=u.Param(name="DM", numiter=1))), level=2)
    with pytest.raises(ParameterError) as exc:
        P.save_run(str(tmp_path / "x.ptyr"), kind="full_flat")
    assert exc.value.path == "kind" and "kind" in str(exc.value) and "io.rformat" not in str(exc.value)
    assert "'fullflat'" in str(exc.value)
