""".ptyd files: reading ptypy's file, round trips (append and link), bad files."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

from beamkit.errors import FormatError
from beamkit.ptycho.data import EOS, MoonFlowerScan, PtydScan, make_scan, write_ptyd
from beamkit.ptycho.data.h5rw import read_tree
from beamkit.ptycho.utils import Param
from tests.conftest import shared_file


def test_reads_ptypys_file():
    path = shared_file("ptypy-data", "moonflower161.ptyd")
    s = make_scan(Param(name="PtydScan", source=str(path)))
    s.initialize()
    c = s.auto(100)
    assert len(c["iterable"]) == 100 and c["common"]["num_frames"] == 161
    np.testing.assert_allclose(c["common"]["psize"], [172e-6, 172e-6])
    np.testing.assert_allclose(c["common"]["center"], [64, 64])
    assert c["common"]["distance"] == 7.19 and c["common"]["energy"] == 7.2
    with h5py.File(path, "r") as f:
        ref = f["chunks/0/data"][:100]
        pos = f["chunks/0/positions"][:100]
    np.testing.assert_array_equal(c["data"], ref)              # crop around 'center' is the identity
    np.testing.assert_array_equal(c["positions"], pos)
    assert c["mask"].all()
    rest = s.auto(100)
    assert len(rest["iterable"]) == 61 and rest["indices"][-1] == 160 and s.auto(100) == EOS
    t = read_tree(path, "info")
    assert t["name"] == "PtyScan" and t["experimentID"] is None and t["num_frames"] == 161


@pytest.mark.parametrize("mode", ["append", "link"])
def test_roundtrip_through_moonflower_save(tmp_path, mode):
    dfile = tmp_path / "sub" / "mf.ptyd"
    np.random.seed(3)
    s = MoonFlowerScan(Param(num_frames=12, shape=32, photons=1e6, save=mode, dfile=str(dfile)))
    s.initialize()
    chunks = s.auto_all(5)
    assert [len(c["iterable"]) for c in chunks] == [5, 5, 2]
    with h5py.File(dfile, "r") as f:
        assert sorted(f["chunks"].keys()) == ["0", "1", "2"]
        assert f["chunks/0/indices"].attrs["type"] == "arraylist"
        assert f["meta/label"].attrs["type"] == "None" and f["info/name"][()].decode() == "MoonFlowerScan"
        np.testing.assert_array_equal(f["meta/shape"][()], [32, 32])
        assert f["meta/num_frames"][()] == 12
        if mode == "link":
            assert isinstance(f["chunks"].get("1", getlink=True), h5py.ExternalLink)
    r = PtydScan(Param(dfile=str(dfile)))
    r.initialize()
    back = r.auto(100)
    np.testing.assert_array_equal(back["data"], np.concatenate([c["data"] for c in chunks]))
    np.testing.assert_array_equal(back["positions"], np.concatenate([c["positions"] for c in chunks]))
    np.testing.assert_allclose(back["common"]["psize"], chunks[0]["common"]["psize"])
    np.testing.assert_allclose(back["common"]["center"], chunks[0]["common"]["center"])


def test_order_by_indices_not_chunk_names(tmp_path):
    n = 12
    data = np.arange(n, dtype=np.float32)[:, None, None] * np.ones((1, 8, 8), np.float32)
    pos = np.stack([np.arange(n), -np.arange(n)], 1) * 1e-7
    path = write_ptyd(tmp_path / "x.ptyd", data, pos, dict(psize=75e-6, distance=2.0, energy=8.0,
                                                          center=(4.0, 4.0)), chunk_size=1)
    with h5py.File(path, "r") as f:
        assert list(f["chunks"].keys())[:3] == ["0", "1", "10"]
    s = PtydScan(Param(source=str(path)))
    s.initialize()
    c = s.auto(100)
    np.testing.assert_array_equal(c["data"][:, 0, 0], np.arange(n))
    np.testing.assert_array_equal(c["indices"], np.arange(n))
    assert c["common"]["energy"] == 8.0


def test_bad_files(tmp_path):
    p = tmp_path / "bad.ptyd"
    p.write_bytes(b"not hdf5 at all")
    with pytest.raises(FormatError) as e:
        PtydScan(Param(source=str(p)))
    assert "bad.ptyd" in str(e.value)
    q = tmp_path / "nochunks.ptyd"
    with h5py.File(q, "w") as f:
        f.create_group("meta")
    with pytest.raises(FormatError, match="chunks"):
        PtydScan(Param(source=str(q)))
    r = tmp_path / "pickle.ptyd"
    with h5py.File(r, "w") as f:
        d = f.create_dataset("evil", data=np.void(b"cos\nsystem\n"))
        d.attrs["type"] = "pickle"
    with pytest.raises(FormatError, match="pickle"):
        read_tree(r)


def test_resolved_parameters_do_not_override_file_meta(tmp_path):
    from beamkit.ptycho.params import TREE
    data = np.ones((3, 16, 16), np.float32)
    path = write_ptyd(tmp_path / "m.ptyd", data, np.zeros((3, 2)),
                      dict(psize=55e-6, distance=3.0, energy=12.0, center=(8.0, 8.0)))
    p = TREE.resolve({"scans": {"a": {"name": "Full", "data": {"name": "PtydScan", "source": str(path)}}}},
                     root="ptycho")
    assert p.scans.a.data.shape == 256             # the schema default is filled in ...
    s = make_scan(p.scans.a.data)
    s.initialize()
    c = s.auto(10)
    assert c["data"].shape == (3, 16, 16)          # ... but the file's geometry wins
    assert c["common"]["energy"] == 12.0 and c["common"]["distance"] == 3.0
    s2 = PtydScan(Param(source=str(path), shape=8, energy=10.0))   # explicit values win
    s2.initialize()
    c2 = s2.auto(10)
    assert c2["data"].shape == (3, 8, 8) and c2["common"]["energy"] == 10.0


def test_h5rw_roundtrip(tmp_path):
    from beamkit.ptycho.data.h5rw import stamp, write_tree
    tree = {"a": 1, "b": 2.5, "c": "text", "d": None, "e": np.arange(6.0).reshape(2, 3), "f": [1, 2, 3],
            "g": (1.0, 2.0), "h": ["x", 1], "i": Param(j=Param(k=True)), "l/m": 3, "n": 1 + 2j,
            "o": np.float32(1.5)}
    import h5py as h5
    p = tmp_path / "t.h5"
    with h5.File(p, "w") as f:
        stamp(f)
        write_tree(f, tree)
        assert f["f"].attrs["type"] == "arraylist" and f["g"].attrs["type"] == "arraytuple"
        assert f["h"].attrs["type"] == "list" and f["i"].attrs["type"] == "param"
        assert f["l_SLASH_m"].attrs["escaped"] == "1" and f.attrs["h5rw_version"] == "0.1"
    back = read_tree(p)
    assert back["a"] == 1 and back["b"] == 2.5 and back["c"] == "text" and back["d"] is None
    np.testing.assert_array_equal(back["e"], tree["e"])
    assert back["f"] == [1, 2, 3] and back["g"] == (1.0, 2.0) and back["h"] == ["x", 1]
    assert isinstance(back["i"], Param) and back["i"].j.k is True and back["l/m"] == 3 and back["n"] == 1 + 2j
    with pytest.raises(TypeError):
        with h5.File(tmp_path / "u.h5", "w") as f:
            write_tree(f, {"x": object()})
