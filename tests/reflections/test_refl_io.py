""".refl reading/writing against the real DIALS files in ../shared/dials-data (notes/dials.md §1, §11)."""
from __future__ import annotations

import gzip

import msgpack
import numpy as np
import pytest

from shared_data import shared_file
from beamkit.errors import FormatError, ParameterError
from beamkit.reflections import MaskCode, ShoeboxColumn, flex
from beamkit.reflections.io_refl import unpack_msgpack

MSGPACK = ["centroid_test_data/indexed.refl", "centroid_test_data/integrated.refl", "MyD88_processed/strong.refl",
           "ssx_CuNiR_test_data/indexed.refl", "ssx_CuNiR_test_data/strong_1.refl",
           "ssx_CuNiR_test_data/strong_5.refl", "vmxi_thaumatin_grid_index/split_07602.refl",
           "l_cysteine_narrow_wedge/11_integrated.refl", "reciprocalspaceship/test_refl.refl"]

# file: nrows, ncols, indexed, shoeboxes with data, pixels, fg all rows, fg over indexed, hist10 (notes §11)
EXPECTED = {
    "centroid_test_data/indexed.refl": (654, 18, 569, 654, 28144, 9792, 9413, [266, 146, 102, 34, 14, 3, 2, 0, 1, 1]),
    "centroid_test_data/integrated.refl": (2269, 35, 544, 278, 5441, 2251, 1881, [477, 36, 21, 7, 2, 0, 0, 0, 0, 1]),
    "MyD88_processed/strong.refl": (646, 10, 0, 646, 42219, 16909, None, None),
    "ssx_CuNiR_test_data/indexed.refl": (360, 25, 360, 360, 1785, 1456, 1456, [66, 98, 73, 47, 49, 19, 1, 3, 3, 1]),
    "ssx_CuNiR_test_data/strong_1.refl": (167, 11, 0, 167, 683, 569, None, None),
    "ssx_CuNiR_test_data/strong_5.refl": (759, 11, 0, 759, 3469, 2830, None, None),
    "vmxi_thaumatin_grid_index/split_07602.refl": (572, 10, 0, 572, 10248, 7172, None, None),
    "l_cysteine_narrow_wedge/11_integrated.refl": (92, 35, 26, 17, 1070, 402, 300, [22, 2, 1, 0, 0, 0, 0, 0, 0, 1]),
}


def dd(name):
    return shared_file("dials-data", *name.split("/"))


@pytest.mark.parametrize("name", MSGPACK)
def test_round_trip_byte_identical(name, tmp_path):
    p = dd(name)
    raw = p.read_bytes()
    t = flex.reflection_table.from_file(p)
    assert t.as_msgpack() == raw
    out = tmp_path / "rt.refl"
    t.as_file(out)
    assert out.read_bytes() == raw
    # gzip read and a version-2 round trip (v2 written to spec, read back, rewritten identically)
    gz = tmp_path / "rt.refl.gz"
    t.as_file(gz)
    assert gzip.decompress(gz.read_bytes()) == raw
    assert flex.reflection_table.from_file(gz).as_msgpack() == raw
    v2 = t.as_msgpack(version=2)
    assert v2[29] == 2
    t2 = flex.reflection_table.from_msgpack(v2)
    assert t2.as_msgpack(version=2) == v2 and t2.as_msgpack(version=1) == raw


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_values(name):
    nrows, ncols, nind, nalloc, npix, fg_all, fg_ind, hist = EXPECTED[name]
    t = flex.reflection_table.from_file(dd(name))
    assert (t.size(), t.ncols()) == (nrows, ncols)
    ind = t.get_flags(t.flags.indexed)
    assert ind.count(True) == nind
    sb = t["shoebox"]
    assert int(sb.allocated.sum()) == nalloc and sb.data.size == npix
    fg = sb.count_mask_values(MaskCode.Foreground).as_numpy_array()
    assert fg.sum() == fg_all
    assert set(np.unique(sb.mask)) <= {0, 5} and not sb.background.any()
    if fg_ind is not None:
        sub = t.select(ind)
        f2 = sub["shoebox"].count_mask_values(MaskCode.Foreground)
        assert f2.as_numpy_array().sum() == fg_ind
        assert list(flex.histogram(f2.as_double(), n_slots=10).slots()) == hist


@pytest.mark.parametrize("name", [n for n in EXPECTED if "integrated" not in n])
def test_derived_columns_recomputed(name):
    t = flex.reflection_table.from_file(dd(name))
    sb = t["shoebox"]
    v, var = sb.centroid_valid()
    np.testing.assert_allclose(v.as_numpy_array(), t.numpy("xyzobs.px.value"), rtol=1e-9, atol=0)
    np.testing.assert_allclose(var.as_numpy_array(), t.numpy("xyzobs.px.variance"), rtol=1e-9, atol=0)
    if "intensity.sum.value" in t:
        i, iv, ok = sb.summed_intensity()
        np.testing.assert_allclose(i.as_numpy_array(), t.numpy("intensity.sum.value"), rtol=1e-9)
        np.testing.assert_allclose(iv.as_numpy_array(), t.numpy("intensity.sum.variance"), rtol=1e-9)
        assert ok.as_numpy_array().all()
    if "n_signal" in t:
        assert np.array_equal(sb.count_mask_values(MaskCode.Foreground).as_numpy_array(), t.numpy("n_signal"))


def test_anchors():
    t = flex.reflection_table.from_file(dd("centroid_test_data/indexed.refl"))
    r = t[0]
    assert r["bbox"] == (1398, 1400, 513, 515, 0, 1)
    assert r["intensity.sum.value"] == 42.0
    assert r["xyzobs.px.value"] == (1399.1190476190477, 514.2142857142857, 0.5)
    assert t.experiment_identifiers() == {0: "d6c88837-e8dd-467f-beff-356887317c56"}
    assert (t.numpy("id") == -1).sum() == 85
    assert not flex.reflection_table.from_file(dd("centroid_test_data/integrated.refl")).experiment_identifiers()
    s5 = flex.reflection_table.from_file(dd("ssx_CuNiR_test_data/strong_5.refl"))
    assert s5.experiment_identifiers() == {i: f"00{i + 1}" for i in range(5)}
    parts = s5.split_by_experiment_id()
    assert len(parts) == 5 and sum(p.size() for p in parts) == 759
    assert parts[2].experiment_identifiers() == {2: "003"}
    assert parts[2]["shoebox"].count_mask_values(4).as_numpy_array().sum() == \
        s5.select(s5["id"] == 2)["shoebox"].count_mask_values(4).as_numpy_array().sum()


def test_hdf5_variant(tmp_path):
    t = flex.reflection_table.from_file(dd("dx2/cut_strong.refl"))
    assert t.size() == 10 and "shoebox" not in t
    assert t.numpy("bbox").shape == (10, 6) and t.numpy("flags").dtype == np.uint64
    assert list(t.experiment_identifiers().values()) == ["86434230-7132-26c2-32dc-438091cbc8e6"]
    s = flex.reflection_table.from_file(dd("MyD88_processed/strong.refl"))
    out = tmp_path / "s.refl"
    s.as_hdf5(out)
    u = flex.reflection_table.from_file(out)
    assert u.size() == s.size() and u.as_msgpack() == s.as_msgpack()


def test_pickle_refused(tmp_path):
    p = tmp_path / "old.refl"
    p.write_bytes(b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01u.")
    with pytest.raises(FormatError, match="pickle"):
        flex.reflection_table.from_file(p)
    g = tmp_path / "old.refl.gz"
    g.write_bytes(gzip.compress(p.read_bytes()))
    with pytest.raises(FormatError, match="pickle"):
        flex.reflection_table.from_file(g)


def test_string_column_refused_in_msgpack(tmp_path):
    t = flex.reflection_table({"a": np.arange(3), "s": np.array(["x", "y", "z"])})
    with pytest.raises(ParameterError, match="std::string"):
        t.as_file(tmp_path / "x.refl")
    t.as_hdf5(tmp_path / "x.h5")
    assert flex.reflection_table.from_file(tmp_path / "x.h5")["s"].as_numpy_array().tolist() == ["x", "y", "z"]


def _mutations(raw: bytes, rng):
    obj = msgpack.unpackb(raw, raw=False, strict_map_key=False)
    data = obj[2]["data"]
    name = sorted(data)[0]
    yield b""
    for cut in rng.integers(1, len(raw), 25):
        yield raw[:cut]
    yield rng.bytes(4000)
    yield b"\x93" + rng.bytes(4000)
    for k in ("bad_type", "bad_n", "bad_payload", "bad_version", "bad_key", "bad_sb"):
        o = msgpack.unpackb(raw, raw=False, strict_map_key=False)
        d = o[2]["data"]
        if k == "bad_type":
            d[name][0] = "vec7<double>"
        elif k == "bad_n":
            d[name][1][0] += 1
        elif k == "bad_payload":
            d[name][1][1] = d[name][1][1][:-3]
        elif k == "bad_version":
            o[1] = 3
        elif k == "bad_key":
            o[2]["extra"] = 1
        elif k == "bad_sb" and "shoebox" in d:
            b = bytearray(d["shoebox"][1][1])
            b[8:12] = (2**30).to_bytes(4, "little")  # huge x1: declared pixels beyond the payload
            d["shoebox"][1][1] = bytes(b)
        yield msgpack.packb(o, use_bin_type=True)
    for _ in range(30):  # random byte flips inside the shoebox headers region
        b = bytearray(raw)
        for pos in rng.integers(0, len(b), 8):
            b[pos] = rng.integers(0, 256)
        yield bytes(b)


@pytest.mark.parametrize("name", ["centroid_test_data/indexed.refl", "ssx_CuNiR_test_data/strong_1.refl"])
def test_fuzzed_input_gives_format_error(name):
    raw = dd(name).read_bytes()
    rng = np.random.default_rng(7)
    for j, bad in enumerate(_mutations(raw, rng)):
        try:
            unpack_msgpack(bad)
        except FormatError:
            continue
        # a byte flip may land in float payload bytes and still decode; then it must be self-consistent
        assert len(bad) == len(raw) and j > 30, f"mutation {j} decoded without error"


def test_shoebox_column_select_and_views():
    t = flex.reflection_table.from_file(dd("MyD88_processed/strong.refl"))
    sb = t["shoebox"]
    s0 = t[5]["shoebox"]
    x0, x1, y0, y1, z0, z1 = s0.bbox
    assert s0.data.all() == (z1 - z0, y1 - y0, x1 - x0)
    assert s0.count_mask_values(MaskCode.Foreground) == t.numpy("n_signal")[5]
    idx = np.array([5, 3, 600])
    sub = sb.select(idx)
    for j, i in enumerate(idx):
        assert np.array_equal(sub[j].data.as_numpy_array(), sb[i].data.as_numpy_array())
        assert sub[j].bbox == sb[i].bbox
    assert isinstance(ShoeboxColumn.concat([sub, sub]), ShoeboxColumn)
    pk = sb.peak_coordinates().as_numpy_array()
    sep = np.linalg.norm(pk - t.numpy("xyzobs.px.value"), axis=1)
    assert sep.max() == pytest.approx(1.954, abs=1e-3)  # notes §6.7


def test_mixed_marker_records():
    from beamkit.reflections.io_refl import pack_shoeboxes, parse_shoeboxes
    sb = flex.reflection_table.from_file(dd("ssx_CuNiR_test_data/strong_1.refl"))["shoebox"]
    a, b = sb.select(np.arange(0, 5)), sb.select(np.arange(5, 9))
    blob = bytes(pack_shoeboxes(a, 1)) + bytes(pack_shoeboxes(b, 2)) + bytes(pack_shoeboxes(a, 2))
    got = parse_shoeboxes(blob, 14)
    ref = ShoeboxColumn.concat([a, b, a])
    for k in ("data", "mask", "background", "bbox", "panel", "offsets"):
        assert np.array_equal(getattr(got, k), getattr(ref, k)), k
    with pytest.raises(FormatError):
        parse_shoeboxes(blob[:-1], 14)
    with pytest.raises(FormatError):
        parse_shoeboxes(blob, 15)


def test_corrupt_files_on_disk(tmp_path):
    raw = dd("ssx_CuNiR_test_data/strong_1.refl").read_bytes()
    cases = {"trunc.refl.gz": gzip.compress(raw)[:-40], "empty.refl": b"", "rand.refl": bytes(range(256)) * 4,
             "trunc.refl": raw[:1000], "h5.refl": b"\x89HDF\r\n\x1a\n" + b"\x00" * 100,
             "gzjunk.refl": gzip.compress(b"hello")}
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(FormatError):
            flex.reflection_table.from_file(p)
    with pytest.raises(FormatError):
        flex.reflection_table.from_file(tmp_path / "missing.refl")


def test_selected_columns_and_v2_on_disk(tmp_path):
    p = dd("centroid_test_data/indexed.refl")
    t = flex.reflection_table.from_file(p, columns=["flags", "miller_index"])
    assert sorted(t.keys()) == ["flags", "miller_index"] and t.size() == 654
    full = flex.reflection_table.from_file(p)
    out = tmp_path / "v2.refl"
    full.as_file(out, version=2)
    raw = out.read_bytes()
    assert raw[29] == 2 and len(raw) < len(p.read_bytes())  # uint8 masks: 3 bytes less per pixel
    back = flex.reflection_table.from_file(out)
    assert np.array_equal(back["shoebox"].mask, full["shoebox"].mask)
    assert back.as_msgpack() == p.read_bytes()
