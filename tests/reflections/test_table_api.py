"""The flex.reflection_table API (notes/dials.md §2-§4) and flex arrays, on synthetic tables."""
from __future__ import annotations

import numpy as np
import pytest

from beamkit.errors import ParameterError
from beamkit.reflections import Flags, MaskCode, ReflectionTable, ShoeboxColumn, flex


def table(n=6):
    t = flex.reflection_table()
    t["id"] = flex.int([0, 1, 0, 2, -1, 1][:n])
    t["flags"] = flex.size_t([36, 32, 44, 4, 0, 131108][:n])
    t["miller_index"] = flex.miller_index(np.arange(3 * n).reshape(n, 3))
    t["xyzobs.px.value"] = flex.vec3_double(np.arange(3.0 * n).reshape(n, 3) * [1, -1, 2])
    t["d"] = flex.double([3.0, 1.0, 2.0, 2.0, 5.0, 0.5][:n])
    t.experiment_identifiers().update({0: "a", 1: "b", 2: "c"})
    return t


def test_flag_values():
    assert Flags.indexed == 4 and Flags.strong == 32 and Flags.integrated == 768
    assert Flags.bad_for_refinement == 167903232 and Flags.bad_shoebox == 64512
    assert MaskCode.Valid | MaskCode.Foreground == 5 and MaskCode.Overlapped == 32
    assert flex.reflection_table.flags.indexed == 4


def test_get_set_unset_flags():
    t = table()
    assert list(t.get_flags(t.flags.indexed)) == [True, False, True, True, False, True]
    both = t.flags.indexed | t.flags.strong
    assert list(t.get_flags(both)) == [True, False, True, False, False, True]
    assert list(t.get_flags(both, all=False)) == [True, True, True, True, False, True]
    t.set_flags(t["d"] > 2.5, t.flags.integrated_sum)
    assert t.numpy("flags")[[0, 4]].tolist() == [36 | 256, 256]
    t.unset_flags(np.array([0]), t.flags.indexed)
    assert t.numpy("flags")[0] == 32 | 256


def test_columns_rows_and_zero_copy():
    t = table()
    assert t.size() == t.nrows() == len(t) == 6 and t.ncols() == 5
    assert list(t) == t.keys()
    assert isinstance(t["miller_index"], flex.miller_index) and isinstance(t["d"], flex.double)
    arr = t["xyzobs.px.value"].as_numpy_array()
    arr[0, 0] = 99.0
    assert t.numpy("xyzobs.px.value")[0, 0] == 99.0
    assert t[1]["miller_index"] == (3, 4, 5) and t[1]["id"] == 1
    assert t[1:3].size() == 2
    assert t.get("nope", 7) == 7
    assert t.types()[:3] == ["int", "std::size_t", "cctbx::miller::index<>"]
    with pytest.raises(ParameterError):
        t["d"] = flex.double([1.0, 2.0])


def test_select_identifiers_semantics():
    t = table()
    s = t.select(t["id"] == 1)
    assert s.size() == 2 and s.experiment_identifiers() == {1: "b"}
    s = t.select(flex.size_t([0, 4]))
    assert s.experiment_identifiers() == {0: "a"}
    c = t.select(["d", "flags"])
    assert c.keys() == ["d", "flags"]
    assert t.select(["d"]).select(np.array([0])).experiment_identifiers() == {}  # no id column: none
    r = t.select_on_experiment_identifiers(["c", "a"])
    assert sorted(r["id"]) == [0, 0, 2]
    r = t.remove_on_experiment_identifiers(["a"])
    assert 0 not in r.experiment_identifiers() and 0 not in list(r["id"])
    with pytest.raises(ParameterError):
        t.select_on_experiment_identifiers(["zzz"])


def test_sort_subsort_del_set_selected():
    t = table()
    t.sort("d")
    assert list(t["d"]) == [0.5, 1.0, 2.0, 2.0, 3.0, 5.0]
    assert list(t["id"])[2:4] == [0, 2]  # stable
    t.sort("d", reverse=True)
    assert list(t["d"])[0] == 5.0
    t.sort("xyzobs.px.value", order=(1,))
    assert np.all(np.diff(t.numpy("xyzobs.px.value")[:, 1]) >= 0)
    u = table()
    u.subsort("d", "id")
    assert list(zip(u["d"], u["id"]))[2:4] == [(2.0, 0), (2.0, 2)]
    u.del_selected(u["d"] > 2.5)
    assert u.size() == 4
    v = table()
    rep = v.select(np.array([0, 1]))
    rep["d"] = flex.double([10.0, 11.0])
    v.set_selected(np.array([4, 5]), rep)
    assert list(v["d"])[4:] == [10.0, 11.0]


def test_extend_concat_identifiers():
    a, b = table(), table()
    a.extend(b)
    assert a.size() == 12
    c = table()
    c.experiment_identifiers()[0] = "other"
    with pytest.raises(ParameterError, match="do not match"):
        a.extend(c)
    d = ReflectionTable.concat([table(), table()])
    assert d.size() == 12 and d.experiment_identifiers()[2] == "c"


def test_pandas_and_empty_standard():
    t = table()
    t["shoebox"] = ShoeboxColumn.from_bboxes(np.tile([0, 2, 0, 2, 0, 1], (6, 1)))
    df = t.as_pandas_dataframe()
    assert "shoebox" not in df and list(df["miller_index_2"]) == list(t.numpy("miller_index")[:, 2])
    assert "xyzobs.px.value_1" in df
    e = flex.reflection_table.empty_standard(4)
    assert e.size() == 4 and "miller_index" in e and e.numpy("flags").dtype == np.uint64


def test_flex_arrays_and_histogram():
    a = flex.int()
    for v in (3, 1, 2):
        a.append(v)
    assert a.size() == 3 and list(a) == [3, 1, 2]
    assert (a * 2).as_numpy_array().tolist() == [6, 2, 4]
    assert isinstance(a > 1, flex.bool) and (a > 1).count(True) == 2
    assert list((a > 1).iselection()) == [0, 2]
    assert a.as_double().as_numpy_array().dtype == np.float64
    assert a.select(flex.bool([True, False, True])).size() == 2
    assert flex.size_t([1]).as_numpy_array().dtype == np.uint64
    assert flex.double(flex.grid(2, 3), 0).all() == (2, 3)
    v = flex.vec3_double(np.ones((4, 3)))
    assert v.as_numpy_array().shape == (4, 3) and len(v.parts()) == 3
    assert v[0] == (1.0, 1.0, 1.0)
    with pytest.raises(ParameterError):
        flex.vec3_double(np.ones((4, 2)))
    h = flex.histogram(flex.double([0, 1, 2, 3, 10]), data_min=0, data_max=4, n_slots=4)
    assert list(h.slots()) == [1, 1, 1, 1] and list(h.slot_centers()) == [0.5, 1.5, 2.5, 3.5]
    assert h.n_out_of_slot_range() == 1


def test_append_insert_resize():
    t = table()
    t.append({"d": 9.0, "miller_index": (1, 2, 3)})
    assert t.size() == 7 and t[6]["d"] == 9.0 and t[6]["miller_index"] == (1, 2, 3)
    t.insert(0, {"d": -1.0})
    assert t[0]["d"] == -1.0 and t[1]["d"] == 3.0 and t.size() == 8
    t.resize(3)
    assert t.size() == 3
    t.resize(5)
    assert t.size() == 5 and t[4]["d"] == 0.0
    with pytest.raises(ParameterError):
        t.append({"nope": 1})
