import h5py
import numpy as np
import pytest

from beamkit.errors import FormatError
from beamkit.ptycho import Ptycho, utils as u
from beamkit.ptycho.io_ptyr import h5read, h5write, read_ptyr


def _run(tmp_path, **io):
    p = u.Param()
    p.verbose_level = "warning"
    p.io = u.Param(home=str(tmp_path), autoplot=u.Param(active=False), interaction=u.Param(active=False), **io)
    p.scans = u.Param(MF=u.Param(name="Full", data=u.Param(name="MoonFlowerScan", num_frames=30, shape=32)))
    p.engines = u.Param(e0=u.Param(name="DM", numiter=6))
    return Ptycho(p, level=5)


def test_ptyr_layout_has_ptypy_types(tmp_path):
    P = _run(tmp_path, autosave=u.Param(active=False))
    f = P.paths.recon_file(P.runtime)
    with h5py.File(f) as h:
        assert h["header/kind"][()].decode() == "minimal" and h["header"].attrs["type"] == "dict"
        assert h["content"].attrs["type"] == "param"
        s = h["content/obj/SMFG00"]
        for k in ("data", "shape", "_center", "_origin", "_psize", "_energy", "layermap", "nlayers", "ID", "numID",
                  "padding", "padonly", "fill_value", "model_initialized", "DataTooSmall", "_is_scattered", "_record",
                  "_recs", "_pool"):
            assert k in s, k
        assert s["shape"].attrs["type"] == "arraytuple" and s["layermap"].attrs["type"] == "arraylist"
        assert s["_record"][()].dtype.names == ("ID",)
        np.testing.assert_allclose(s["_origin"][()], -s["_center"][()] * s["_psize"][()])
        assert h["content/runtime/iter_info"].attrs["type"] == "list"
        assert h["content/runtime/iter_info/00005/error"].shape == (3,)
        assert h["content/pars/engines/e0/numiter"][()] == 6 and h["content/pars/engines/e0/numiter"].dtype == np.int64


def test_minimal_and_autosave_files_load_back_with_all_storages(tmp_path):
    P = _run(tmp_path, autosave=u.Param(active=True, interval=3))
    files = P.autosave.files
    # ptypy saves before iterating when the engine's curiter is a multiple of the interval: 0 and 3 of 6
    assert [f.rsplit("_", 2)[-2:] for f in files] == [["None", "0000.ptyr"], ["DM", "0003.ptyr"]]
    for f in (P.paths.recon_file(P.runtime), files[-1]):
        Q = Ptycho.load_run(f, load_data=False)
        for cont, ref in ((Q.obj, P.obj), (Q.probe, P.probe)):
            assert set(cont.S) == set(ref.S)
            for k in ref.S:
                if f == files[-1]:      # written before iteration 4: the state then, not the final one
                    assert cont.S[k].data.shape == ref.S[k].data.shape
                else:
                    np.testing.assert_array_equal(cont.S[k].data, ref.S[k].data)
                np.testing.assert_allclose(cont.S[k].psize, ref.S[k].psize)
                np.testing.assert_allclose(cont.S[k].center, ref.S[k].center)
        assert isinstance(Q.runtime["iter_info"], list)
    Q = Ptycho.load_run(P.paths.recon_file(P.runtime), load_data=True)
    assert Q.blocks and np.array_equal(Q.obj.S["SMFG00"].data, P.obj.S["SMFG00"].data)
    assert len(Q.runtime["iter_info"]) == 6
    dump = read_ptyr(files[-1])
    assert dump["header"]["kind"] == "dump" and len(dump["content"]["runtime"]["iter_info"]) == 1
    assert len(dump["content"]["obj"]["SMFG00"]["grids"]) == 2


def test_tree_round_trip_and_refused_pickle(tmp_path):
    tree = {"a": {"s": "text", "n": None, "i": 3, "f": 2.5, "arr": np.arange(4.0), "l": [1, 2, 3],
                  "mixed": ["x", 1], "t": (1, 2), "sl/ash": 1}}
    f = tmp_path / "t.h5"
    h5write(f, tree)
    back = h5read(f)
    assert back["a"]["s"] == "text" and back["a"]["n"] is None and back["a"]["i"] == 3
    assert back["a"]["l"] == [1, 2, 3] and back["a"]["mixed"] == ["x", 1] and back["a"]["t"] == (1, 2)
    assert back["a"]["sl/ash"] == 1
    np.testing.assert_array_equal(back["a"]["arr"], np.arange(4.0))
    with h5py.File(f, "a") as h:
        d = h.create_dataset("evil", data=np.void(b"\x80\x04K\x01."))
        d.attrs["type"] = "pickle"
    with pytest.raises(FormatError, match="unpickle"):
        h5read(f)
    with pytest.raises(FormatError):
        read_ptyr(tmp_path / "missing.ptyr")
