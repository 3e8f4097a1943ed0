"""Cross-checks with the official specpy package (skipped where it is not installed)."""
import numpy as np
import pytest

from beamkit.microscope import File, Stack

from shared_data import shared_file

sp = pytest.importorskip("specpy")


def _rich():
    s = Stack(np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4))
    s.set_name("my stack")
    s.set_description("my description")
    s.set_labels(["X", "Y", "T"])
    s.set_lengths([4e-6, 3e-6, 2.0])
    s.set_offsets([1e-6, 0.0, 0.5])
    s.set_col_labels(2, ["first", "second"])
    return s


@pytest.mark.parametrize("compression", [True, False])
def test_specpy_reads_our_files(tmp_path, compression):
    p = tmp_path / "ours.obf"
    with File(p, File.Write) as f:
        f.set_description("our file")
        f.write(_rich(), compression)
        f.write(Stack(np.linspace(0, 1, 12).reshape(3, 4)), compression)
    g = sp.File(str(p), sp.File.Read)
    assert g.description() == "our file" and g.number_of_stacks() == 2
    s = g.read(0)
    assert s.name() == "my stack" and s.description() == "my description"
    assert s.labels() == ["X", "Y", "T"]
    assert list(s.shape()) == [4, 3, 2]
    assert s.lengths() == pytest.approx([4e-6, 3e-6, 2.0]) and s.offsets() == pytest.approx([1e-6, 0, 0.5])
    assert s.col_labels(2) == ["first", "second"]
    np.testing.assert_array_equal(s.data(), _rich().data())
    np.testing.assert_array_equal(g.read(1).data(), np.linspace(0, 1, 12).reshape(3, 4))
    del g


def test_specpy_reads_appended_files(tmp_path):
    p = tmp_path / "app.obf"
    with File(p, File.Write) as f:
        f.write(Stack(np.ones((2, 2), np.uint8)))
    with File(p, File.Append) as f:
        f.write(_rich())
    g = sp.File(str(p), sp.File.Read)
    assert g.number_of_stacks() == 2 and g.read(1).name() == "my stack"
    del g


def test_we_read_specpy_files(tmp_path):
    p = tmp_path / "theirs.obf"
    a = np.arange(30, dtype=np.float32).reshape(5, 6)
    s = sp.Stack(a)
    s.set_labels(["X", "Y"])
    s.set_lengths([6e-6, 5e-6])
    f = sp.File(str(p), sp.File.Write)
    f.set_description("theirs")
    f.write(s, True)
    del f
    r = File(p)
    assert r.description() == "theirs"
    got = r.read(0)
    np.testing.assert_array_equal(got.data(), a)
    assert got.labels() == ["X", "Y"] and got.lengths() == [6e-6, 5e-6] and got.units() == ["m", "m"]
    # and the same call sequence with our writer in compatibility mode gives the same bytes
    q = tmp_path / "ours.obf"
    with File(q, File.Write, compatibility=True) as f:
        f.set_description("theirs")
        t = Stack(a)
        t.set_labels(["X", "Y"])
        t.set_lengths([6e-6, 5e-6])
        f.write(t, True)
    assert q.read_bytes() == p.read_bytes()


def test_empty_file_matches_specpy(tmp_path):
    p = tmp_path / "e.obf"
    f = sp.File(str(p), sp.File.Write)
    del f
    q = tmp_path / "o.obf"
    File(q, File.Write, compatibility=True).close()
    assert q.read_bytes() == p.read_bytes()


def test_real_msr_agrees_with_specpy():
    path = shared_file("specpy-data", "imspectordocs", "data_analysis_example.msr")
    g = sp.File(str(path), sp.File.Read)
    r = File(path)
    for i in range(3):
        a, b = g.read(i), r.read(i)
        assert a.name() == b.name() and a.labels() == b.labels()
        np.testing.assert_array_equal(a.data(), b.data())
    del g


@pytest.mark.parametrize("length", [1e-6, 0.01, 0.011, 3.0])
@pytest.mark.parametrize("labels", [["X", "Y"], ["Leica X", "Time"], ["Z", "T"]])
def test_compat_units_match_specpy(tmp_path, length, labels):
    a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    s = sp.Stack(a)
    s.set_labels(labels)
    s.set_lengths([length, 2 * length])
    f = sp.File(str(tmp_path / "sp.obf"), sp.File.Write)
    f.write(s, False)
    del f
    t = Stack(a)
    t.set_labels(labels)
    t.set_lengths([length, 2 * length])
    with File(tmp_path / "bk.obf", File.Write, compatibility=True) as f:
        f.write(t, False)
    assert (tmp_path / "bk.obf").read_bytes() == (tmp_path / "sp.obf").read_bytes()


def test_metadata_dict_matches_specpy():
    path = shared_file("specpy-data", "specpy-golden", "sp_multi_4stacks_zlib.obf")
    g = sp.File(str(path), sp.File.Read)
    theirs = g.metadata()
    del g
    assert File(path).metadata() == theirs
