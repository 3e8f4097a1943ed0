"""beamkit.ptycho.io data formats with ptypy's names: jwrite/jread, edfread, rawread, imread, image_read;
and Ptycho.load_run's file-name check."""
import json

import numpy as np
import pytest

from beamkit.errors import FormatError, ParameterError


def test_io_exports_the_data_readers_of_ptypy():
    from beamkit.ptycho import io
    from beamkit.ptycho.io import edfread, image_read, jread, jwrite  # noqa: F401
    for name in ("jwrite", "jread", "image_read", "edfread"):
        assert name in io.__all__ and callable(getattr(io, name))
    from beamkit.ptycho.io.edfIO import edfread as e2
    from beamkit.ptycho.io.imageIO import imread  # noqa: F401
    from beamkit.ptycho.io.json_rw import jread as j2
    from beamkit.ptycho.io.rawIO import rawread  # noqa: F401
    assert e2 is edfread and j2 is jread


# ------------------------------------------------------------------ JSON

def test_jwrite_jread_round_trip_with_arrays(tmp_path):
    from beamkit.ptycho.io import jread, jwrite
    f = tmp_path / "sub" / "v.json"                     # parent folders are made
    a = np.arange(12.0).reshape(3, 4)
    c = (np.arange(3) + 1j).astype(np.complex64)
    jwrite(str(f), {"a": a, "n": 1}, n=2, d={"c": c, "s": "hi", "none": None, "lst": [1, 2.5]},
           t=(1, 2), i=np.int64(7), big=np.arange(4, dtype=">i4"), nc=a[:, ::2])
    raw = json.loads(f.read_text())
    assert raw["__meta__"]["json_rw_version"] == 0.1 and "ctime" in raw["__meta__"]
    assert set(raw["a"]) == {"__ndarray__", "dtype", "shape"} and raw["a"]["shape"] == [3, 4]
    out = jread(str(f))
    assert "__meta__" not in out and out["n"] == 2                 # keywords win
    np.testing.assert_array_equal(out["a"], a)
    assert out["d"]["c"].dtype == np.complex64
    np.testing.assert_array_equal(out["d"]["c"], c)
    assert out["d"]["s"] == "hi" and out["d"]["none"] is None and out["d"]["lst"] == [1, 2.5]
    assert out["t"] == [1, 2] and out["i"] == 7 and type(out["i"]) is int
    np.testing.assert_array_equal(out["big"], np.arange(4))
    np.testing.assert_array_equal(out["nc"], a[:, ::2])            # non-contiguous arrays too
    out["a"][0, 0] = 99.0                                          # a writable copy
    sel = jread(str(f), "a[1:3, 0]", "d.s")
    np.testing.assert_array_equal(sel["a"], a[1:3, 0])
    assert sel["s"] == "hi"
    assert jread(str(f), ["n"]) == {"n": 2}
    np.testing.assert_array_equal(jread(str(f), "n", "a", slice=slice(0, 1))["a"], a[:1])
    jwrite(str(tmp_path / "sub" / "w.json"), x=1)
    both = jread(str(tmp_path / "sub" / "*.json"))                 # wildcards: a list, sorted
    assert [sorted(d) for d in both] == [sorted(out), ["x"]]


def test_jwrite_refuses_what_json_cannot_hold(tmp_path):
    from beamkit.ptycho.io import jwrite
    f = tmp_path / "v.json"
    with pytest.raises(ParameterError, match="__meta__"):
        jwrite(str(f), __meta__=1)
    with pytest.raises(ParameterError, match=r"variables\.d\.s"):
        jwrite(str(f), d={"s": {1, 2}})
    with pytest.raises(ParameterError, match="object"):
        jwrite(str(f), o=np.array([None, 1], dtype=object))
    assert not f.exists()                                          # nothing half-written


def test_jread_bad_files_raise_format_error(tmp_path):
    from beamkit.ptycho.io import jread, jwrite
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1,\n "b": }')
    with pytest.raises(FormatError, match="line 2") as e:
        jread(str(bad))
    assert str(bad) in str(e.value)
    lst = tmp_path / "list.json"
    lst.write_text("[1, 2]")
    with pytest.raises(FormatError, match="JSON object"):
        jread(str(lst))
    arr = tmp_path / "arr.json"
    arr.write_text(json.dumps({"a": {"__ndarray__": "AAAA", "dtype": "<f8", "shape": [3]}}))
    with pytest.raises(FormatError, match="__ndarray__"):
        jread(str(arr))
    with pytest.raises(FormatError, match="no such file"):
        jread(str(tmp_path / "missing.json"))
    jwrite(str(tmp_path / "ok.json"), a=1)
    with pytest.raises(FormatError, match="key zz"):
        jread(str(tmp_path / "ok.json"), "zz")
    with pytest.raises(ParameterError, match="slice"):
        jread(str(tmp_path / "ok.json"), "a[__import__('os')]")    # parsed, never eval-ed


# ------------------------------------------------------------------ EDF

def _fabio_edf(path, data, header=None):
    import fabio.edfimage
    fabio.edfimage.EdfImage(data=data, header=header or {}).write(str(path))


def test_edfread_reads_fabio_written_edf_with_header(tmp_path):
    from beamkit.ptycho.io import edfread, image_read
    data = (np.arange(30, dtype=np.float32) * 1.5).reshape(5, 6)
    f = tmp_path / "a.edf"
    _fabio_edf(f, data, {"motor_mne": "samx samy", "motor_pos": "1.5 -2", "counter_mne": "mon", "counter_pos": "12",
                         "count_time": "0.5", "Title": "scan 7"})
    d, meta = edfread(str(f))
    np.testing.assert_array_equal(d, data)
    assert d.dtype == np.float32
    assert meta["Dim_1"] == 6 and meta["Dim_2"] == 5 and meta["DataType"] == "FloatValue"
    assert meta["count_time"] == 0.5 and meta["Title"] == "scan 7"
    assert meta["motor"] == {"samx": 1.5, "samy": -2} and meta["counter"] == {"mon": 12}
    assert meta["filename"] == str(f) and meta["headerlength"] % 512 == 0 and meta["headerlength"] > 0
    d2, _ = edfread(str(f), roi=(1, 3, 2, 5))
    np.testing.assert_array_equal(d2, data[1:3, 2:5])
    d3, m3 = image_read(str(f))                                    # dispatched by extension
    np.testing.assert_array_equal(d3, data)
    assert m3["motor"]["samx"] == 1.5
    _fabio_edf(tmp_path / "b.edf", np.ones((2, 3), np.uint16))
    ds, ms = edfread(str(tmp_path / "*.edf"))
    assert [x.shape for x in ds] == [(5, 6), (2, 3)] and ms[1]["DataType"] == "UnsignedShort"
    ds, ms = edfread([str(f)])
    assert isinstance(ds, list) and len(ms) == 1


def test_edfread_bad_files_raise_format_error(tmp_path):
    from beamkit.ptycho.io import edfread
    notedf = tmp_path / "x.edf"
    notedf.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(FormatError, match="EDF") as e:
        edfread(str(notedf))
    assert str(notedf) in str(e.value)
    cut = tmp_path / "cut.edf"
    cut.write_bytes(b"{\nDim_1 = 4 ;\nDim_2 = 4 ;\nDataType = FloatValue ;\nSize = 64 ;\n")   # header never closed
    with pytest.raises(FormatError, match="cut.edf"):
        edfread(str(cut))
    with pytest.raises(FormatError, match="no such file"):
        edfread(str(tmp_path / "missing.edf"))
    good = tmp_path / "g.edf"
    _fabio_edf(good, np.zeros((2, 2), np.float32))
    with pytest.raises(ParameterError, match="roi"):
        edfread(str(good), roi=(0, 1))


# ------------------------------------------------------------------ PIL images, fabio fallback, FLI .raw, .h5

def test_image_read_png_and_tiff_with_meta(tmp_path):
    from PIL import Image

    from beamkit.ptycho.io import image_read
    grey = (np.arange(48, dtype=np.uint16) * 1000).reshape(6, 8)
    Image.fromarray(grey).save(tmp_path / "g.png")
    d, meta = image_read(str(tmp_path / "g.png"))
    np.testing.assert_array_equal(d, grey)
    assert meta["format"] == "PNG" and meta["mode"].startswith("I") and meta["filename"] == str(tmp_path / "g.png")
    assert "format_description" in meta
    flt = np.linspace(0, 1, 20, dtype=np.float32).reshape(4, 5)
    Image.fromarray(flt).save(tmp_path / "f.tif", dpi=(300, 300))
    d, meta = image_read(str(tmp_path / "f.tif"), roi=(1, 3, 0, 2))
    np.testing.assert_array_equal(d, flt[1:3, :2])
    assert meta["format"] == "TIFF" and meta["mode"] == "F" and [round(float(v)) for v in meta["dpi"]] == [300, 300]
    rgb = np.zeros((3, 4, 3), np.uint8)
    rgb[..., 1] = 200
    Image.fromarray(rgb).save(tmp_path / "c.png")
    d, meta = image_read(str(tmp_path / "c.png"))
    assert d.shape == (3, 4, 3) and meta["mode"] == "RGB"
    ds, ms = image_read(str(tmp_path / "*.png"))
    assert [m["filename"].rsplit("/", 1)[-1] for m in ms] == ["c.png", "g.png"] and len(ds) == 2


def test_image_read_falls_back_to_fabio_and_reads_raw_and_h5(tmp_path):
    import fabio.cbfimage

    from beamkit.ptycho.io import h5write, image_read
    cbf = np.arange(20, dtype=np.int32).reshape(4, 5)
    fabio.cbfimage.CbfImage(data=cbf).write(str(tmp_path / "d.cbf"))
    d, meta = image_read(str(tmp_path / "d.cbf"))
    np.testing.assert_array_equal(d, cbf)
    assert meta["format"] == "CbfImage" and meta["filename"] == str(tmp_path / "d.cbf")
    h5write(str(tmp_path / "s.h5"), {"meta": {"energy": 7.2}, "entry": {"data": np.eye(3)}})
    d, meta = image_read(str(tmp_path / "s.h5"))
    np.testing.assert_array_equal(d, np.eye(3))
    assert meta == {"filename": str(tmp_path / "s.h5"), "path": "entry/data"}
    frame = (np.arange(12, dtype=np.uint16) * 300).reshape(3, 4)
    names = ["ServerVersion", "CCDModel", "Rows", "Cols", "ExpTimeTheory", "ExpTimeMeasured", "ExpTime",
             "TimeString", "Unused", "TimeInt", "Monitor", "BinRows", "BinCols", "RoiVisible", "RoiSet"]
    vals = ["FLI 1.2", "PL09000", "3", "4", "0.1", "0.11", "0.1", "Mon Jan 1", "x", "123", "456", "1", "1",
            "0 0 4 3", "0 0 4 3"]
    head = "".join(f"{n} = {v}\n" for n, v in zip(names, vals)) + "EOH\n"
    (tmp_path / "f.raw").write_bytes(head.encode() + frame.astype("<u2").tobytes())
    d, meta = image_read(str(tmp_path / "f.raw"))
    np.testing.assert_array_equal(d, frame)
    assert meta["rows"] == 3 and meta["cols"] == 4 and meta["exp_time"] == 0.1 and meta["monitorcounts"] == 456
    assert meta["roi_set"] == [0, 0, 4, 3] and meta["ccd_model"] == ["PL09000"]


def test_image_read_bad_files_raise_format_error(tmp_path):
    from beamkit.ptycho.io import h5write, image_read
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"this is not an image at all" * 10)
    with pytest.raises(FormatError, match="junk.png"):
        image_read(str(junk))
    from PIL import Image
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "t.png")
    (tmp_path / "trunc.png").write_bytes((tmp_path / "t.png").read_bytes()[:60])
    with pytest.raises(FormatError, match="trunc.png"):
        image_read(str(tmp_path / "trunc.png"))
    with pytest.raises(FormatError, match="no such file"):
        image_read(str(tmp_path / "missing.tif"))
    h5write(str(tmp_path / "noarr.h5"), a=1, s="x")
    with pytest.raises(FormatError, match="no array"):
        image_read(str(tmp_path / "noarr.h5"))
    (tmp_path / "short.raw").write_bytes(b"Server = FLI\nModel = x\nRows = 3\nEOH\n")
    with pytest.raises(FormatError, match="short.raw"):
        image_read(str(tmp_path / "short.raw"))


# ------------------------------------------------------------------ Ptycho.load_run

def test_load_run_refuses_names_that_are_not_ptyr(tmp_path):
    from beamkit.ptycho import Ptycho
    from beamkit.ptycho.io import h5write
    f = tmp_path / "run.h5"
    h5write(str(f), header={"kind": "minimal"}, content={"pars": {}})
    with pytest.raises(ParameterError, match=r"\.ptyr or \.pty") as e:
        Ptycho.load_run(str(f))
    assert str(f) in str(e.value)
