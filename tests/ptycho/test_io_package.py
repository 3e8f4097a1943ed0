"""beamkit.ptycho.io: ptypy's ``ptypy.io`` names (h5write/h5append/h5read/h5info, interaction)."""
import h5py
import numpy as np
import pytest

from beamkit.errors import ParameterError


def test_io_exports_ptypys_names():
    from beamkit.ptycho.io import h5append, h5info, h5options, h5read, h5write, interaction  # noqa: F401
    from beamkit.ptycho import io
    import beamkit.ptycho as bp
    from beamkit.ptycho import interaction as impl
    assert bp.io is io and io.interaction.Server is impl.Server and io.interaction.Client is impl.Client
    from beamkit.ptycho.io.interaction import Client_DEFAULT, Server_DEFAULT
    from beamkit.ptycho.params import defaults
    assert Server_DEFAULT == defaults("io.interaction.server") and Client_DEFAULT == defaults("io.interaction.client")
    assert dict(Server_DEFAULT) == dict(active=True, address="tcp://127.0.0.1", port=5560, connections=10,
                                        poll_timeout=10.0, pinginterval=2.0, pingtimeout=10.0)
    assert dict(Client_DEFAULT) == dict(address="tcp://127.0.0.1", port=5560, poll_timeout=100.0,
                                        pinginterval=1.0, connection_timeout=3600000.0)


def test_h5write_h5read_as_ptypy(tmp_path):
    from beamkit.ptycho.io import h5read, h5write
    from beamkit.ptycho.utils import Param
    f = tmp_path / "sub" / "a.h5"                       # parent folders are made, as ptypy
    h5write(str(f), {"arr": np.arange(10.0), "b": 1}, b=2,
            d={"s": "hi", "none": None, "lst": [1, 2, 3], "tup": (1, "x"), "k/slash": 3.5},
            p=Param(x=1))
    out = h5read(str(f))
    assert out["b"] == 2                                # keywords win over the dict
    np.testing.assert_array_equal(out["arr"], np.arange(10.0))
    assert out["d"]["s"] == "hi" and out["d"]["none"] is None and list(out["d"]["lst"]) == [1, 2, 3]
    assert out["d"]["tup"] == (1, "x") and out["d"]["k/slash"] == 3.5
    assert type(out["p"]).__name__ == "Param" and out["p"]["x"] == 1
    with h5py.File(f) as h:                             # ptypy's typed layout
        assert h["d"].attrs["type"] == "dict" and h["arr"].attrs["type"] == "array"
        assert h.attrs["h5rw_version"] == "0.1"
    sel = h5read(str(f), "arr[2:4]", "d.s", "d.lst")
    assert set(sel) == {"arr", "s", "lst"} and sel["s"] == "hi"
    np.testing.assert_array_equal(sel["arr"], [2.0, 3.0])
    assert h5read(str(f), ["b", "arr"], slice=slice(1, 3))["arr"].tolist() == [1.0, 2.0]
    assert h5read(str(f), "arr[::3]")["arr"].tolist() == [0.0, 3.0, 6.0, 9.0]
    shallow = h5read(str(f), depth=0)["d"]              # as ptypy: depth 0 reads d's leaves, not its groups
    assert shallow["s"] == "hi" and shallow["tup"] == ()
    with pytest.raises(ParameterError):
        h5read(str(f), "arr[__import__('os')]")         # slices are parsed, never eval-ed


def test_h5append_glob_and_info(tmp_path, capsys):
    from beamkit.ptycho.io import h5append, h5info, h5read, h5write
    f = tmp_path / "a.h5"
    h5write(str(f), a=1, b="x")
    h5append(str(f), {"b": "y"}, c=np.ones(3))
    assert h5read(str(f)) .keys() == {"a", "b", "c"}
    assert h5read(str(f), "b")["b"] == "y"
    h5append(str(tmp_path / "new.h5"), z=5)             # append creates the file
    assert h5read(str(tmp_path / "new.h5")) == {"z": 5}
    many = h5read(str(tmp_path / "*.h5"))               # wildcard: one dict per file, sorted
    assert isinstance(many, list) and [sorted(m) for m in many] == [["a", "b", "c"], ["z"]]
    text = h5info(str(f), output=True)
    assert " * a [scalar = 1]" in text and ' * b [string = "y"]' in text and " * c [array = [1. 1. 1.]]" in text
    assert "File created" in capsys.readouterr().out
    assert h5info(str(f)) is None


def test_h5write_refuses_unsupported_and_circular(tmp_path):
    from beamkit.ptycho.io import h5options, h5write
    f = str(tmp_path / "a.h5")
    with pytest.raises(ParameterError, match="object"):
        h5write(f, x=object())
    loop = {}
    loop["me"] = loop
    with pytest.raises(ParameterError, match="circular"):
        h5write(f, loop=loop)
    old = h5options["UNSUPPORTED"]
    try:
        h5options["UNSUPPORTED"] = "ignore"
        h5write(f, x=object(), y=1)
        from beamkit.ptycho.io import h5read
        assert h5read(f) == {"y": 1}
        h5options["UNSUPPORTED"] = "pickle"
        with pytest.raises(ParameterError, match="pickle"):
            h5write(f, y=1)
    finally:
        h5options["UNSUPPORTED"] = old


def test_hostile_files_fail_cleanly(tmp_path):
    """A group linked into itself (expands without end) and an external link (reads another file)
    are refused with the file and the key named; a missing key names both too; object arrays are
    left out instead of recursing."""
    import h5py
    from beamkit.errors import FormatError
    from beamkit.ptycho import io_ptyr
    from beamkit.ptycho.io import h5read as read
    cyc = tmp_path / "cycle.h5"
    with h5py.File(cyc, "w") as f:
        g = f.create_group("a")
        g["loop"] = g
    ext = tmp_path / "ext.h5"
    with h5py.File(ext, "w") as f:
        f["x"] = h5py.ExternalLink(str(cyc), "/a")
    for reader in (read, io_ptyr.h5read):
        with pytest.raises(FormatError, match="cycle.h5.*key /a/loop"):
            reader(cyc)
        with pytest.raises(FormatError, match="key /x.*ExternalLink"):
            reader(ext)
    with pytest.raises(FormatError, match="key nokey"):
        io_ptyr.h5read(cyc, "nokey")
    out = tmp_path / "obj.h5"
    io_ptyr.h5write(out, {"o": np.array([1, "a"], dtype=object), "k": 1})
    assert io_ptyr.h5read(out) == {"k": 1}
