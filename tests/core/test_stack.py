"""Tests for beamkit.core.stack: construction, validation, HDF5 round trip, xarray."""
import numpy as np
import pytest

from beamkit.core.stack import Axis, Stack
from beamkit.errors import FormatError, ParameterError


def test_defaults_and_axes():
    a = np.arange(12, dtype="u2").reshape(3, 4)
    s = Stack(a)
    assert s.shape == (3, 4) and s.ndim == 2
    assert s.lengths == [3.0, 4.0] and s.offsets == [0.0, 0.0]
    assert s.labels == ["", ""] and s.units == ["", ""]
    assert s.data is a  # no copy
    assert isinstance(s.axes[0], Axis)
    s2 = Stack(a, labels=["y", "x"], lengths=[3e-6, 8e-6], offsets=[1e-6, 0], units=["m", "m"],
               name="img", description="d", meta={"k": 1})
    assert s2.pixel_sizes() == pytest.approx([1e-6, 2e-6])
    np.testing.assert_allclose(s2.coords(1), [1e-6, 3e-6, 5e-6, 7e-6])
    np.testing.assert_allclose(s2.coords(0), 1e-6 + np.array([0.5, 1.5, 2.5]) * 1e-6)
    assert "img" in repr(s2)


@pytest.mark.parametrize("kw,key", [
    (dict(labels=["a"]), "labels"),
    (dict(labels=["a", 3]), "labels[1]"),
    (dict(lengths=[1, "x"]), "lengths[1]"),
    (dict(offsets=[1, float("nan")]), "offsets[1]"),
    (dict(units="m"), "units"),
    (dict(name=3), "name"),
    (dict(meta=[1]), "meta"),
])
def test_bad_input(kw, key):
    with pytest.raises(ParameterError) as ei:
        Stack(np.zeros((2, 2)), **kw)
    assert ei.value.path == key


def test_bad_data():
    with pytest.raises(ParameterError):
        Stack(np.float64(3.0))
    with pytest.raises(ParameterError):
        Stack(np.array([object(), 1], dtype=object))
    s = Stack(np.zeros((2, 2)))
    with pytest.raises(ParameterError):
        s.data = np.zeros(3)
    with pytest.raises(ParameterError):
        s.coords(5)


def test_hdf5_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    a = (rng.normal(size=(2, 3, 4)) + 1j).astype("c8")
    s = Stack(a, labels=["t", "y", "x"], lengths=[2.0, 3e-6, 4e-6], offsets=[0, -1e-6, 2e-6],
              units=["s", "m", "m"], name="nm", description="déscr", meta={"a": [1, 2], "b": {"c": "d"}})
    p = tmp_path / "s.h5"
    s.save_hdf5(p, group="/entry/stack")
    r = Stack.load_hdf5(p, group="/entry/stack")
    np.testing.assert_array_equal(r.data, a)
    assert r.data.dtype == np.complex64
    assert r.labels == s.labels and r.units == s.units
    assert r.lengths == s.lengths and r.offsets == s.offsets
    assert (r.name, r.description, r.meta) == ("nm", "déscr", {"a": [1, 2], "b": {"c": "d"}})


def test_hdf5_bad_files(tmp_path):
    p = tmp_path / "x.h5"
    p.write_bytes(b"not hdf5 at all")
    with pytest.raises(FormatError):
        Stack.load_hdf5(p)
    Stack(np.zeros(3)).save_hdf5(p)
    with pytest.raises(FormatError):
        Stack.load_hdf5(p, group="/nothing")
    with pytest.raises(ParameterError):
        Stack(np.zeros(3), meta={"x": object()}).save_hdf5(tmp_path / "y.h5")
    assert not (tmp_path / "y.h5").exists()


def test_to_xarray():
    pytest.importorskip("xarray")
    s = Stack(np.arange(6.0).reshape(2, 3), labels=["y", "x"], lengths=[2e-6, 3e-6],
              units=["m", "m"], name="im", meta={"dwell": 1e-6})
    x = s.to_xarray()
    assert x.dims == ("y", "x")
    np.testing.assert_allclose(x.coords["x"].values, [0.5e-6, 1.5e-6, 2.5e-6])
    assert x.coords["x"].attrs["units"] == "m"
    assert x.attrs["dwell"] == 1e-6 and x.name == "im"
    assert float(x.isel(y=0, x=2)) == 2.0 and float(x.sel(x=2.5e-6, method="nearest")[1]) == 5.0
    x2 = Stack(np.zeros((2, 2)), labels=["a", "a"]).to_xarray()
    assert x2.dims == ("a", "a_1")
