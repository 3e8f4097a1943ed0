"""OBF/MSR reading and writing: the real Imspector .msr, specpy's golden files, append, fuzzing."""
import hashlib
import os
import struct
import zlib

import numpy as np
import pytest

from beamkit.errors import FormatError
from beamkit.microscope import File, Stack
from beamkit.microscope import obf_format as fmt
from beamkit.microscope import oprop

from shared_data import shared_file

MSR_EXPECTED = [  # name, sum, mean, std, masked mean, masked std, min, max, d[0,0,0,0], d[0,0,199,199], d[0,0,10,20]
    ("Data000 [Cut]", 9509488, 237.7372, 206.84417053946675, 699.109640831758, 283.83133548694525, 29, 3128, 177, 738, 680),
    ("Data002 [Cut]", 15646386, 391.15965, 199.61732004482351, 646.9190898791541, 236.23133241598734, 164, 2167, 295, 372, 483),
    ("Data004 [Cut]", 21392986, 534.82465, 423.5507316749406, 825.2185758830445, 442.2869173865432, 76, 3807, 156, 303, 170),
]


def test_real_imspector_msr():
    path = shared_file("specpy-data", "imspectordocs", "data_analysis_example.msr")
    f = File(path, File.Read)
    h = f.header()
    assert (h.version, h.first_stack_pos, f.description(), h.tags) == (1, 1537, "", {})
    assert f.number_of_stacks() == 3
    recs = f.records()
    assert [r.pos for r in recs] == [1537, 59549, 119050] and recs[-1].next_stack_pos == 0
    assert [r.flush_positions for r in recs] == [[54187], [55690], [59176]]
    assert [r.data_len_disk for r in recs] == [54193, 55696, 59182]
    assert [r.stack_end_disk for r in recs] == [59446, 118961, 181948]
    for i, (name, tot, mean, std, mmean, mstd, lo, hi, d0, d1, d2) in enumerate(MSR_EXPECTED):
        r = recs[i]
        assert (r.version, r.footer_size, r.dt, r.compression_type, r.compression_level) == (5, 1444, 4, 1, 1)
        assert (r.num_flush_points, r.flush_block_size, r.tag_dictionary_length, r.min_format_version) == (1, 80000, 91, 0)
        assert len(r.metadata) == 645 and len(r.description) == 1111
        assert r.metadata.startswith("<root") and "<global_pos " in r.metadata
        s = f.read(i)
        assert s.name() == name
        assert s.shape() == [200, 200, 1, 1]
        assert s.labels() == ["Leica X", "Leica Y", "Ax1", "Ax2"]
        assert s.lengths() == pytest.approx([31.9999829798851, 31.9999711826923, 1, 1], rel=1e-15)
        assert s.offsets() == [0, 0, 0, 0]
        d = s.data()
        assert d.shape == (1, 1, 200, 200) and d.dtype == np.uint16
        assert int(d.sum()) == tot
        assert d.mean() == pytest.approx(mean, rel=1e-12)
        assert d.std() == pytest.approx(std, rel=1e-12)
        m = np.ma.masked_less(d, 410)
        assert m.mean() == pytest.approx(mmean, rel=1e-12) and m.std() == pytest.approx(mstd, rel=1e-12)
        assert (d.min(), d.max(), d[0, 0, 0, 0], d[0, 0, 199, 199], d[0, 0, 10, 20]) == (lo, hi, d0, d1, d2)
        assert s.tags() == {"imspector": '<root idx="1" isempty="1" type="cell" size="0 0" oprop_version="1" />\n'}
        assert s.parameters("") is None
        tree = oprop.to_python(s.description())
        assert tree["Imspector"]["General"]["doc"]["Label"] == name
        assert oprop.to_python(r.metadata)["global_pos"]["axes"] == ["Leica X", "Leica Y", "None", "None"]
        assert oprop.to_python(r.metadata)["global_pos"]["projection"] == np.eye(4).tolist()
    with pytest.raises(RuntimeError, match="Invalid stack index '5'."):
        f.read(5)
    f.close()


def _golden_inputs():
    """The calls of specpy-data/MANIFEST.md, rebuilt with beamkit's Stack."""
    a = np.arange(24, dtype=np.uint16).reshape(2, 3, 4)

    def s1():
        s = Stack(a)
        s.set_name("ignored-by-writer")
        s.set_description("ignored-by-writer")
        s.set_labels(["x", "y", "z"])
        s.set_lengths([4e-6, 3e-6, 2e-6])
        s.set_offsets([1e-6, 2e-6, 3e-6])
        return s
    out = [("sp_u16_3d_uncompressed.obf", [s1()], False, "file descr"),
           ("sp_u16_3d_zlib.obf", [s1()], True, None)]
    b = (np.arange(5 * 64 * 64) % 1000).astype(np.uint16).reshape(5, 64, 64)
    out.append(("sp_u16_5x64x64_zlib.obf", [Stack(b)], True, None))
    s = Stack(np.arange(24, dtype=np.int16).reshape(2, 3, 4))
    s.set_labels(["X", "Y", "T"])
    out.append(("sp_i16_labels_XYT_uncompressed.obf", [s], False, None))
    rng = np.random.default_rng(0)
    arrs = [rng.integers(0, 200, (3, 2, 3, 4)).astype(np.uint8),
            rng.normal(size=(7, 5)).astype(np.float64),
            (rng.normal(size=(4, 3)) + 1j * rng.normal(size=(4, 3))).astype(np.complex64),
            rng.integers(-100, 100, (2, 1, 1, 3, 4)).astype(np.int32)]
    out.append(("sp_multi_4stacks_zlib.obf", [Stack(x) for x in arrs], True, None))
    out.append(("sp_f32_2d_zlib.msr", [Stack(np.arange(12, dtype=np.float32).reshape(3, 4))], True, None))
    for dt in ["u1", "i1", "u2", "i2", "u4", "i4", "f4", "f8", "c8", "c16"]:
        out.append((f"sp_dtype_{dt}.obf", [Stack(np.zeros((2, 3), dtype=dt))], False, None))
    return out


@pytest.mark.parametrize("case", _golden_inputs(), ids=lambda c: c[0])
def test_golden_byte_identical(case, tmp_path):
    name, stacks, compression, descr = case
    golden = shared_file("specpy-data", "specpy-golden", name).read_bytes()
    p = tmp_path / name
    f = File(p, File.Write, compatibility=True)
    if descr is not None:
        f.set_description(descr)
    for s in stacks:
        f.write(s, compression)
    del f
    assert hashlib.sha256(p.read_bytes()).hexdigest() == hashlib.sha256(golden).hexdigest()
    # and our reader gives back what was written
    r = File(p)
    assert r.number_of_stacks() == len(stacks)
    for i, s in enumerate(stacks):
        got = r.read(i)
        np.testing.assert_array_equal(got.data(), s.data())
        assert got.shape() == s.shape() and got.labels() == s.labels()
        assert got.lengths() == s.lengths() and got.offsets() == s.offsets()
        assert got.name() == ""  # compatibility mode drops names like specpy


GOLDEN_FACTS = {  # file: (bytes, meta_pos, [(dt, shape, sum, data_len, flush)])
    "sp_u16_3d_zlib.obf": (2697, 2007, [(4, [4, 3, 2], 276, 50, [44])]),
    "sp_u16_5x64x64_zlib.obf": (4678, None, [(4, [64, 64, 5], 10104960, 1939, [1933])]),
    "sp_multi_4stacks_zlib.obf": (10035, 8301, [(1, [4, 3, 2, 3], 7367, 90, [84]),
                                                (0x80, [5, 7], 9.642811606503605, 298, [292]),
                                                (0x40000040, [3, 4], 3.074051856994629 + 1.440348505973816j, 114, [108]),
                                                (0x20, [4, 3, 1, 1, 2], 206, 81, [75])]),
    "sp_f32_2d_zlib.msr": (2599, None, [(0x40, [4, 3], 66, 47, [41])]),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_FACTS))
def test_read_golden(name):
    p = shared_file("specpy-data", "specpy-golden", name)
    size, meta, stacks = GOLDEN_FACTS[name]
    assert p.stat().st_size == size
    f = File(p)
    if meta is not None:
        assert f.header().meta_pos == meta
    assert f.header().tags["ome_xml"].startswith('<?xml version="1.0" encoding="UTF-8"?><OME')
    for i, (dt, shape, tot, dlen, flush) in enumerate(stacks):
        rec = f.records()[i]
        s = f.read(i)
        assert (rec.dt, s.shape(), rec.data_len_disk, rec.flush_positions) == (dt, shape, dlen, flush)
        assert complex(s.data().sum()) == pytest.approx(complex(tot), rel=1e-6)
        if name != "sp_u16_3d_zlib.obf":
            assert s.offsets() == [-0.5] * len(shape) and s.lengths() == [float(x) for x in shape]


def test_ome_and_units_of_golden():
    f = File(shared_file("specpy-data", "specpy-golden", "sp_i16_labels_XYT_uncompressed.obf"))
    s = f.read(0)
    assert s.labels() == ["X", "Y", "T"] and s.units() == ["um", "um", "s"]
    assert 'SizeT="1"' in f.tags()["ome_xml"] and 'SizeZ="2"' in f.tags()["ome_xml"]
    f2 = File(shared_file("specpy-data", "specpy-golden", "sp_u16_3d_uncompressed.obf"))
    assert f2.description() == "file descr" and f2.header().first_stack_pos == 44


def _rich_stack():
    s = Stack(np.arange(60, dtype=np.float32).reshape(3, 4, 5))
    s.set_name("ExpControl Ch1 {2}")
    s.set_description("a description, ünïcode")
    s.set_labels(["X", "Y", "T"])
    s.set_lengths([5e-6, 4e-6, 3.0])
    s.set_offsets([1e-6, -2e-6, 0.0])
    s.set_col_positions(2, [0.0, 1.5, 2.0])
    s.set_col_labels(1, ["a", "b", "c", "d"])
    s.set_tag("imspector", '<root idx="1" type="struct" size="1 1" oprop_version="1"><doc type="struct" size="1 1">'
              '<ExpControl type="struct" size="1 1"><psz type="double" size="1 1">2e-08</psz></ExpControl></doc></root>')
    s.set_tag("mine", {"k": [1, 2]})
    return s


@pytest.mark.parametrize("version,per_plane", [(7, False), (6, True)])
def test_round_trip_keeps_everything(tmp_path, version, per_plane):
    s = _rich_stack()
    p = tmp_path / "rich.obf"
    with File(p, File.Write, version=version, flush_per_plane=per_plane) as f:
        f.set_description("file")
        f.write(s)
        f.write(Stack(np.ones((2, 2), np.uint8)), False)
    r = File(p)
    assert r.description() == "file" and r.number_of_stacks() == 2
    rec = r.records()[0]
    assert rec.version == version and rec.footer_size == (1528 if version == 7 else 1468)
    assert rec.num_flush_points == (3 if per_plane else 1)
    g = r.read(0)
    assert (g.name(), g.description()) == (s.name(), s.description())
    assert g.labels() == ["X", "Y", "T"] and g.units() == ["m", "m", "s"]
    assert g.lengths() == s.lengths() and g.offsets() == s.offsets()
    assert g.col_positions(2) == [0.0, 1.5, 2.0] and g.col_labels(1) == ["a", "b", "c", "d"]
    assert g.parameters("doc/ExpControl/psz") == 2e-08
    assert g.tag("mine") == {"k": [1, 2]}
    np.testing.assert_array_equal(g.data(), s.data())


def test_append_adds_stacks_and_keeps_file_valid(tmp_path):
    p = tmp_path / "a.obf"
    with File(p, File.Write) as f:
        f.set_description("d")
        f.write(Stack(np.arange(6, dtype=np.uint16).reshape(2, 3)))
    before = p.read_bytes()
    with File(p, File.Append) as f:
        assert f.number_of_stacks() == 1
        f.write(_rich_stack())
        f.write(Stack(np.full((4,), 7, np.int32)), False)
    r = File(p)
    assert r.number_of_stacks() == 3 and r.description() == "d"
    np.testing.assert_array_equal(r.read(0).data(), np.arange(6).reshape(2, 3))
    assert r.read(1).name() == "ExpControl Ch1 {2}"
    np.testing.assert_array_equal(r.read(2).data(), [7, 7, 7, 7])
    assert r.tags()["ome_xml"].count("<Image ") == 3
    # the bytes of the first stack were left alone
    first = r.records()[0]
    assert p.read_bytes()[first.data_pos:first.stack_end_disk] == before[first.data_pos:first.stack_end_disk]


def test_append_to_version1_msr(tmp_path):
    src = shared_file("specpy-data", "imspectordocs", "data_analysis_example.msr")
    p = tmp_path / "copy.msr"
    p.write_bytes(src.read_bytes())
    with File(p, File.Append) as f:
        f.write(Stack(np.ones((3, 2), np.uint16)))
    r = File(p)
    assert r.number_of_stacks() == 4
    assert int(r.read(0).data().sum()) == 9509488
    assert r.read(3).shape() == [2, 3]
    assert p.read_bytes()[:211639] != b""  # MSR records stay in place
    assert p.read_bytes()[1537:1537 + 16] == fmt.STACK_MAGIC


def test_interrupted_write_leaves_old_file(tmp_path):
    p = tmp_path / "x.obf"
    with File(p, File.Write) as f:
        f.write(Stack(np.zeros(3, np.uint8)))
    old = p.read_bytes()
    with pytest.raises(KeyError):
        with File(p, File.Write) as f:
            f.write(Stack(np.ones(3, np.uint8)))
            raise KeyError("boom")
    assert p.read_bytes() == old
    assert [x.name for x in tmp_path.iterdir()] == ["x.obf"]


def test_errors(tmp_path):
    with pytest.raises(RuntimeError, match="No such file"):
        File(tmp_path / "missing.obf")
    p = tmp_path / "bad.obf"
    p.write_bytes(b"hello world" * 10)
    with pytest.raises(FormatError, match="No OBF file header found"):
        File(p)
    with pytest.raises(RuntimeError, match="Unsupported stack type"):
        Stack(np.zeros(3, np.uint64))
    with pytest.raises(RuntimeError, match="Unsupported number of 6 dimensions"):
        Stack(np.zeros((1,) * 6, np.uint8))
    with pytest.raises(RuntimeError, match="Invalid file mode"):
        File(p, 7)


def _valid_file(tmp_path):
    p = tmp_path / "v.obf"
    with File(p, File.Write) as f:
        s = Stack(np.arange(256, dtype=np.uint16).reshape(4, 8, 8))   # 4 planes, 4 flush points
        s.set_name("n")
        s.set_labels(["X", "Y", "Z"])
        f.write(s, True)
        f.write(Stack(np.arange(12, dtype=np.float32).reshape(3, 4)), False)
    return p.read_bytes()


def _read_all(path):
    f = File(path)
    for i in range(f.number_of_stacks()):
        f.read(i).data()
    f.close()


def test_fuzzed_headers_give_format_error(tmp_path):
    good = _valid_file(tmp_path)
    rng = np.random.default_rng(1234)
    p = tmp_path / "fuzz.obf"
    n_err = 0
    hdr = 34 + 368  # file header + first stack header
    footer = hdr + 0  # compressed data length varies; fuzz its region too
    for trial in range(400):
        b = bytearray(good)
        kind = trial % 4
        if kind == 0:   # random bytes in the headers
            for _ in range(rng.integers(1, 6)):
                b[rng.integers(0, hdr)] = rng.integers(0, 256)
        elif kind == 1:  # huge/absurd integers in size fields
            off = int(rng.choice([14, 22, 26, 34 + 20, 34 + 24, 34 + 28, 34 + 336, 34 + 340, 34 + 352, 34 + 360]))
            b[off:off + 4] = struct.pack("<I", int(rng.choice([0xFFFFFFFF, 0x7FFFFFFF, 16, 100000])))
        elif kind == 2:  # truncation
            b = b[:rng.integers(0, len(b))]
        else:  # footer / variable part
            for _ in range(rng.integers(1, 6)):
                b[rng.integers(footer, len(b))] = rng.integers(0, 256)
        p.write_bytes(bytes(b))
        try:
            _read_all(p)
        except FormatError:
            n_err += 1
        except RuntimeError as exc:  # only specpy's own messages
            assert "Invalid stack index" in str(exc)
    assert n_err > 100


def test_absurd_sizes_refused_without_allocating(tmp_path):
    good = bytearray(_valid_file(tmp_path))
    struct.pack_into("<3I", good, 34 + 24, 2**31, 2**31, 4)  # res of stack 0
    p = tmp_path / "huge.obf"
    p.write_bytes(bytes(good))
    f = File(p)
    with pytest.raises(FormatError, match="stack size"):
        f.read(0)


def test_chunked_and_truncated_data(tmp_path):
    """A hand-built v6 stack with chunk positions and samples_written < total reads like the spec says."""
    data = np.arange(24, dtype=np.uint16)
    raw = data.tobytes()
    # store logical [0, 20) then a gap of 8 junk bytes then logical [20, 40)  (samples_written = 20)
    stored = raw[:20] + b"J" * 8 + raw[20:40]
    rec = fmt.StackRecord(res=[6, 4], lengths=[6.0, 4.0], offsets=[0.0, 0.0], dt=4, labels=["", ""])
    p = tmp_path / "c.obf"
    with open(p, "wb") as fh:
        fh.write(fmt.FILE_MAGIC + struct.pack("<IQI", 1, 26, 0))
        fmt.StackWriter(version=6).write(fh, rec, np.frombuffer(stored, np.uint16), False)
    b = bytearray(p.read_bytes())
    stack = 26
    # fix the header: res stays [6, 4] but data are 48 stored bytes; patch footer fields
    fpos = stack + 368 + 48
    struct.pack_into("<Q", b, fpos + 1452, 20)        # samples_written
    struct.pack_into("<Q", b, fpos + 1460, 1)         # one chunk
    end = struct.unpack_from("<Q", b, fpos + 1432)[0]
    b[end:end] = struct.pack("<QQ", 20, 28)           # logical 20 -> file offset 28
    struct.pack_into("<Q", b, fpos + 1432, end + 16)
    struct.pack_into("<Q", b, fpos + 1444, end + 16)
    p.write_bytes(bytes(b))
    got = File(p).read(0).data()
    expect = data.copy()
    expect[20:] = 0
    np.testing.assert_array_equal(got.ravel(), expect)


def test_zlib_stream_layout_matches_spec(tmp_path):
    p = tmp_path / "z.obf"
    a = (np.arange(3 * 16 * 16) % 7).astype(np.uint16).reshape(3, 16, 16)
    with File(p, File.Write, flush_per_plane=True) as f:
        f.write(Stack(a))
    r = File(p)
    rec = r.records()[0]
    raw = p.read_bytes()[rec.data_pos:rec.data_pos + rec.data_len_disk]
    # a partial read can start at any flush point with a raw inflater
    j = 1
    plane = zlib.decompressobj(-15).decompress(raw[rec.flush_positions[j - 1]:], 512)
    np.testing.assert_array_equal(np.frombuffer(plane, np.uint16).reshape(16, 16), a[1])


def test_nan_geometry_and_zero_sizes(tmp_path):
    good = bytearray(_valid_file(tmp_path))
    bad = bytearray(good)
    struct.pack_into("<d", bad, 34 + 84, float("nan"))      # length of axis 0
    p = tmp_path / "nan.obf"
    p.write_bytes(bytes(bad))
    with pytest.raises(FormatError, match="non-finite") as ei:
        File(p)
    assert ei.value.offset == 34 + 84
    zero = bytearray(good)
    struct.pack_into("<I", zero, 34 + 24, 0)                  # res[0] = 0 with data present
    p.write_bytes(bytes(zero))
    assert File(p).read(0).data().shape == (4, 8, 0)


def test_format_error_is_also_runtime_error(tmp_path):
    p = tmp_path / "junk.obf"
    p.write_bytes(b"\0" * 64)
    with pytest.raises(RuntimeError, match="No OBF file header found") as ei:
        File(p)
    assert isinstance(ei.value, FormatError) and ei.value.offset == 0 and str(p) in str(ei.value)


def test_append_to_missing_file_creates_it(tmp_path):
    p = tmp_path / "new.obf"
    with File(p, File.Append) as f:
        f.write(Stack(np.arange(4, dtype=np.uint8)))
    assert File(p).read(0).data().tolist() == [0, 1, 2, 3]


def test_compressed_chunked_stream(tmp_path):
    """zlib data split in two segments on disk with a gap, joined through a chunk position."""
    data = (np.arange(400) % 13).astype(np.uint16)
    z = zlib.compress(data.tobytes(), 1)
    cut = len(z) // 2
    stored = z[:cut] + b"\xAA" * 8 + z[cut:]
    rec = fmt.StackRecord(res=[20, 20], lengths=[1.0, 1.0], offsets=[0.0, 0.0], dt=4, labels=["", ""])
    p = tmp_path / "cz.obf"
    with open(p, "wb") as fh:
        fh.write(fmt.FILE_MAGIC + struct.pack("<IQI", 1, 26, 0))
        fmt.StackWriter(version=6).write(fh, rec, np.frombuffer(stored, np.uint8), False)
    b = bytearray(p.read_bytes())
    struct.pack_into("<I", b, 26 + 324, 4)          # dt uint16 (data written as bytes)
    struct.pack_into("<I", b, 26 + 328, 1)          # zlib
    fpos = 26 + 368 + len(stored)
    end = struct.unpack_from("<Q", b, fpos + 1432)[0]
    b[end:end] = struct.pack("<QQ", cut, cut + 8)   # logical cut -> file offset cut + 8
    struct.pack_into("<Q", b, fpos + 1460, 1)
    struct.pack_into("<Q", b, fpos + 1432, end + 16)
    struct.pack_into("<Q", b, fpos + 1444, end + 16)
    struct.pack_into("<Q", b, fpos + 1452, 400)
    p.write_bytes(bytes(b))
    np.testing.assert_array_equal(File(p).read(0).data().ravel(), data)


@pytest.mark.parametrize("level", [1, 6])
def test_parallel_plane_codec_equals_sequential_zlib(tmp_path, level):
    rng = np.random.default_rng(3)
    a = rng.poisson(2.0, size=(5, 32, 48)).astype(np.uint16)
    p = tmp_path / "pp.obf"
    with File(p, File.Write, flush_per_plane=True) as f:
        f.write(Stack(a), True, level)
    rec = File(p).records()[0]
    stream = p.read_bytes()[rec.data_pos:rec.data_pos + rec.data_len_disk]
    # what a sequential compressor with a full flush after every plane writes
    c = zlib.compressobj(level)
    seq, flushes = b"", []
    for plane in a:
        seq += c.compress(plane.tobytes()) + c.flush(zlib.Z_FULL_FLUSH)
        flushes.append(len(seq))
    seq += c.flush(zlib.Z_FINISH)
    assert stream == seq and rec.flush_positions == flushes and rec.flush_block_size == 32 * 48 * 2
    np.testing.assert_array_equal(File(p).read(0).data(), a)        # parallel inflate
    bad = bytearray(p.read_bytes())
    struct.pack_into("<Q", bad, rec.footer_pos + 1416, 7)            # wrong block size: sequential fallback
    p.write_bytes(bytes(bad))
    np.testing.assert_array_equal(File(p).read(0).data(), a)


@pytest.mark.parametrize("size,version", [(124, 1), (128, 1), (1408, 2), (1424, 3), (1432, 4), (1444, 5),
                                          (1468, 6), (1528, 7)])
def test_every_footer_version(tmp_path, size, version):
    """Footers of every OBF stack version: fields present only where ``size`` covers them."""
    a = np.arange(12, dtype=np.int16).reshape(3, 4)
    labels = ["X", "Y"]
    meta = b"<root/>"
    hdr = struct.pack("<16s17I30d5I3Q", fmt.STACK_MAGIC, version, 2, 4, 3, *[0] * 13,
                      4e-6, 3e-6, *[0.0] * 13, 1e-6, 0.0, *[0.0] * 13, 8, 0, 1, 4, 0, 1, a.nbytes, 0)
    fixed = bytearray(1528)
    struct.pack_into("<I", fixed, 0, size)
    struct.pack_into("<I", fixed, 124, len(meta))
    um = fmt.SI_STRUCT.pack(*([1, 1] + [0, 1] * 8), 1e-6)
    fixed[128:208] = fmt.SI_STRUCT.pack(*([0, 1] * 9), 1.0)
    fixed[208:288] = um
    fixed[288:368] = um
    tags = fmt.encode_tag_dict({"imspector": "<root/>"})
    struct.pack_into("<QQQ", fixed, 1408, 0, a.nbytes, len(tags))
    var = b"".join(struct.pack("<I", len(s)) + s.encode() for s in labels)
    var += meta if size >= 128 else b""
    var += tags if size >= 1432 else b""
    body = bytes(fixed[:size]) + var
    start = 26
    data_pos = start + 368 + 4
    end = data_pos + a.nbytes + len(body)
    if size >= 1440:
        body = bytearray(body)
        struct.pack_into("<Q", body, 1432, end)
        body = bytes(body)
    p = tmp_path / f"v{version}_{size}.obf"
    p.write_bytes(fmt.FILE_MAGIC + struct.pack("<IQI", 1, start, 0) + hdr + b"name" + a.tobytes() + body)
    f = File(p)
    rec = f.records()[0]
    s = f.read(0)
    assert (rec.version, rec.footer_size, s.name(), s.labels()) == (version, size, "name", labels)
    np.testing.assert_array_equal(s.data(), a)
    assert s.lengths() == [4e-6, 3e-6] and s.offsets() == [1e-6, 0.0]
    assert s.units() == (["um", "um"] if size >= 1408 else ["", ""])
    assert rec.metadata == ("<root/>" if size >= 128 else "")
    assert s.tags() == ({"imspector": "<root/>"} if size >= 1432 else {})
    assert rec.stack_end_disk == end


@pytest.mark.parametrize("dt,dtype,samples", [(0x400, "u1", 3), (0x800, "u1", 4), (0x1000, "<u8", 1),
                                              (0x2000, "<i8", 1), (0x10000, "?", 1)])
def test_read_types_specpy_cannot_write(tmp_path, dt, dtype, samples):
    """RGB(A) with a trailing sample axis, 64-bit integers and bool read back with the right shape."""
    shape = (3, 4) + ((samples,) if samples > 1 else ())
    a = (np.arange(int(np.prod(shape))) % 2 if dtype == "?" else np.arange(int(np.prod(shape)))).astype(dtype)
    a = a.reshape(shape)
    rec = fmt.StackRecord(res=[4, 3], lengths=[4.0, 3.0], offsets=[0.0, 0.0], dt=dt, labels=["X", "Y"])
    p = tmp_path / "t.obf"
    with open(p, "wb") as fh:
        fh.write(fmt.FILE_MAGIC + struct.pack("<IQI", 1, 26, 0))
        fmt.StackWriter().write(fh, rec, a.view(np.uint8).reshape(-1), True)
    s = File(p).read(0)
    assert s.data().shape == shape and s.data().dtype == np.dtype(dtype)
    np.testing.assert_array_equal(s.data(), a)
