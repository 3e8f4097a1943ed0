"""Tests of beamkit.core.table: columns, selection, sort, concat, ragged columns, pandas, HDF5."""
from __future__ import annotations

import numpy as np
import pytest

from beamkit.core.table import RaggedColumn, Table
from beamkit.errors import FormatError, ParameterError


def make(n=5, seed=0):
    rng = np.random.default_rng(seed)
    lens = rng.integers(0, 4, n)
    return Table({
        "a": np.arange(n, dtype=np.int32),
        "x": rng.normal(size=n),
        "xy": rng.normal(size=(n, 2)),
        "xyz": rng.normal(size=(n, 3)),
        "ub": rng.normal(size=(n, 3, 3)),
        "bbox": rng.integers(0, 100, (n, 6)).astype(np.int32),
        "hkl": rng.integers(-5, 5, (n, 3)).astype(np.int32),
        "flags": np.arange(n, dtype=np.uint64) * 4,
        "ok": np.arange(n) % 2 == 0,
        "s": np.array([f"r{i}é" for i in range(n)]),
        "rag": RaggedColumn.from_lengths(np.arange(lens.sum(), dtype=np.float32), lens),
    })


def test_basic_access_and_views():
    t = make()
    assert len(t) == t.nrows == 5 and t.ncols == 11
    assert "xyz" in t and "nope" not in t
    a = t["x"]
    a[0] = 42.0
    assert t["x"][0] == 42.0  # zero-copy
    row = t[1]
    assert row["a"] == 1 and row["xyz"].shape == (3,) and row["s"] == "r1é"
    assert np.array_equal(row["rag"], t["rag"][1])
    sl = t[1:3]
    assert sl.nrows == 2 and np.shares_memory(sl["xyz"], t["xyz"])
    assert np.shares_memory(sl["rag"].flat, t["rag"].flat)
    assert np.array_equal(sl["rag"][0], t["rag"][1])
    assert t[-1]["a"] == 4
    with pytest.raises(IndexError):
        t[5]


def test_select_mask_indices_names():
    t = make(50, seed=1)
    mask = t["x"] > 0
    s = t.select(mask)
    assert s.nrows == mask.sum()
    assert np.array_equal(s["xyz"], t["xyz"][mask])
    idx = np.flatnonzero(mask)
    for j, i in enumerate(idx):  # ragged gather agrees with per-row views
        assert np.array_equal(s["rag"][j], t["rag"][i])
    assert s["s"].tolist() == t["s"][mask].tolist()
    r = t.select(np.array([3, 3, 0, -1]))
    assert r["a"].tolist() == [3, 3, 0, 49]
    assert np.array_equal(r["rag"][3], t["rag"][49])
    c = t.select(["a", "xyz"])
    assert c.keys() == ["a", "xyz"] and c.nrows == 50
    assert t[idx].nrows == idx.size and t[mask].nrows == idx.size


def test_select_bad_input():
    t = make()
    with pytest.raises(ParameterError, match="boolean mask of length 5"):
        t.select(np.ones(4, bool))
    with pytest.raises(ParameterError, match="indices in"):
        t.select(np.array([0, 7]))
    with pytest.raises(ParameterError):
        t.select(np.array([0.5, 1.0]))
    with pytest.raises(ParameterError, match="nope"):
        t["nope"]


def test_assignment_checks():
    t = make()
    t["new"] = np.ones(5)
    assert t["new"].dtype == np.float64
    with pytest.raises(ParameterError) as e:
        t["bad"] = np.ones(4)
    assert "bad" in str(e.value) and "5 rows" in str(e.value)
    with pytest.raises(ParameterError, match="a"):
        t["a"] = np.ones(5) * 0.5  # float into an int column
    with pytest.raises(ParameterError, match="rows of shape"):
        t["xyz"] = np.ones((5, 2))
    with pytest.raises(ParameterError, match="dtype object"):
        t["obj"] = np.array([{}, 1, 2, 3, None], dtype=object)
    with pytest.raises(ParameterError):
        t["rag2"] = RaggedColumn.from_lengths(np.zeros(3), [1, 1, 1])
    t["a"] = np.arange(5, dtype=np.int16)  # castable: kept as int32
    assert t["a"].dtype == np.int32
    t["const"] = 7
    assert t["const"].tolist() == [7] * 5
    t["strs"] = ["p", "q", "r", "s", "t"]
    assert t["strs"].dtype.kind == "U"
    del t["strs"]
    assert "strs" not in t
    with pytest.raises(ParameterError):
        del t["strs"]


def test_ragged_column():
    with pytest.raises(ParameterError, match="offsets"):
        RaggedColumn(np.zeros(3), [0, 2, 1, 3])
    with pytest.raises(ParameterError):
        RaggedColumn(np.zeros(3), [0, 2])
    rc = RaggedColumn.from_arrays([[1, 2], [], [3, 4, 5]])
    assert rc.lengths.tolist() == [2, 0, 3]
    assert rc.row_sum().tolist() == [3, 0, 12]
    assert rc.row_ids().tolist() == [0, 0, 2, 2, 2]
    sel = rc.select(np.array([2, 0, 1]))
    assert [x.tolist() for x in sel] == [[3, 4, 5], [1, 2], []]
    cat = RaggedColumn.concat([rc, sel])
    assert len(cat) == 6 and cat[3].tolist() == [3, 4, 5]
    v = RaggedColumn.from_lengths(np.arange(12.).reshape(6, 2), [1, 2, 3])
    assert v.select(np.array([2]))[0].shape == (3, 2)


def test_sort_and_argsort():
    t = make(30, seed=2)
    t["k"] = np.array([3, 1, 2] * 10)
    before = t.copy()
    t.sort("k")
    assert np.all(np.diff(t["k"]) >= 0)
    # stable: among equal keys, original order is kept
    assert np.all(np.diff(t["a"][t["k"] == 1]) > 0)
    t.sort("k", reverse=True)
    assert np.all(np.diff(t["k"]) <= 0)
    assert np.all(np.diff(t["a"][t["k"] == 1]) > 0)
    perm = before.argsort("hkl")
    keys = [tuple(r) for r in before["hkl"][perm]]
    assert keys == sorted(keys)
    s = before.copy().sort("x")
    for i in range(s.nrows):  # ragged rows follow their row
        j = int(s["a"][i])
        assert np.array_equal(s["rag"][i], before["rag"][j])
    with pytest.raises(ParameterError):
        t.sort("rag")


def test_concat_extend_copy():
    t1, t2 = make(4, 1), make(3, 2)
    c = Table.concat([t1, t2])
    assert c.nrows == 7
    assert np.array_equal(c["ub"][4:], t2["ub"])
    assert np.array_equal(c["rag"][5], t2["rag"][1])
    t3 = t2.copy()
    del t3["x"]
    with pytest.raises(ParameterError, match="x"):
        Table.concat([t1, t3])
    e = t1.copy()
    e.extend(t3)  # missing column filled with zeros
    assert e.nrows == 7 and e["x"][4:].tolist() == [0, 0, 0]
    with pytest.raises(ParameterError):
        t1.copy().extend(t3, fill_missing=False)
    d = t1.copy()
    d["x"][0] = -99
    assert t1["x"][0] != -99


def test_to_pandas():
    t = make(6)
    df = t.to_pandas()
    assert list(df["xyz_2"]) == list(t["xyz"][:, 2])
    assert "ub_8" in df and "bbox_5" in df and "xy_1" in df
    assert np.array_equal(df["rag"].iloc[2], t["rag"][2])
    assert "rag" not in t.to_pandas(ragged="skip")


def test_hdf5_round_trip(tmp_path):
    t = make(20, seed=3)
    p = tmp_path / "t.h5"
    t.save_hdf5(p, group="/refl")
    u = Table.load_hdf5(p, group="/refl")
    assert u.keys() == t.keys()
    for k in t.keys():
        if k == "rag":
            assert np.array_equal(u[k].flat, t[k].flat) and np.array_equal(u[k].offsets, t[k].offsets)
        else:
            assert u[k].dtype == t[k].dtype and np.array_equal(u[k], t[k]), k
    with pytest.raises(FormatError, match="no beamkit table"):
        Table.load_hdf5(p, group="/")
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all")
    with pytest.raises(FormatError):
        Table.load_hdf5(bad)


def test_empty_and_edge_cases():
    t = Table()
    assert len(t) == 0 and t.ncols == 0
    t["a"] = np.arange(3)
    assert t.nrows == 3
    e = t.select(np.zeros(3, bool))
    assert e.nrows == 0 and e["a"].shape == (0,)
    z = make(0)
    assert z.select(np.zeros(0, bool)).nrows == 0
    assert Table.concat([z, make(2)]).nrows == 2
