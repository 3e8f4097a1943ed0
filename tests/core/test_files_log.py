"""beamkit.core.files (atomic writes, sniffing), beamkit.core.log and beamkit.errors."""
from __future__ import annotations

import gzip
import io
import logging
import os
import stat
import sys

import pytest

from beamkit.core import log as bklog
from beamkit.core.files import atomic_path, atomic_write, open_maybe_gzip, sniff_format
from beamkit.errors import (AccessDenied, BatchError, BeamkitError, FormatError, ParameterError,
                            ParameterIssue, RemoteError)


def _leftovers(folder, name):
    return [p for p in os.listdir(folder) if p != name]


def test_interrupted_write_keeps_previous_file_and_no_temp(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("previous contents\n")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_write(target, "w") as fh:
            fh.write("half of the new ")
            fh.flush()
            raise RuntimeError("disk on fire")
    assert target.read_text() == "previous contents\n"
    assert _leftovers(tmp_path, "result.txt") == []


def test_interrupted_binary_write_and_keyboard_interrupt(tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"\x00\x01old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(target, "wb") as fh:
            fh.write(b"x" * 100_000)
            raise KeyboardInterrupt
    assert target.read_bytes() == b"\x00\x01old"
    assert _leftovers(tmp_path, "data.bin") == []


def test_atomic_write_success_replaces_and_keeps_mode(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    with atomic_write(target, "w") as fh:           # creates the folder
        fh.write("one")
    assert target.read_text() == "one"
    os.chmod(target, 0o600)
    with atomic_write(target, "w") as fh:
        fh.write("two")
    assert target.read_text() == "two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _leftovers(target.parent, "out.txt") == []


def test_atomic_write_bad_mode(tmp_path):
    with pytest.raises(ParameterError):
        with atomic_write(tmp_path / "x", "a"):
            pass
    assert not (tmp_path / "x").exists()


def test_atomic_path_interrupted_and_success(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old")
    with pytest.raises(ValueError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"partial")
            raise ValueError("plot failed")
    assert target.read_bytes() == b"old" and _leftovers(tmp_path, "plot.png") == []
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new" and _leftovers(tmp_path, "plot.png") == []


HEADERS = {
    "hdf5": b"\x89HDF\r\n\x1a\n" + b"\x00" * 20,
    "gzip": gzip.compress(b"hello"),
    "obf": b"OMAS_BF\n\xff\xff" + b"\x00" * 10,
    "tiff": b"II*\x00\x08\x00\x00\x00",
    "png": b"\x89PNG\r\n\x1a\n",
    "cbf": b"###CBF: VERSION 1.5\r\n",
    "pickle": b"\x80\x04\x95\x10\x00",
    "zip": b"PK\x03\x04rest",
    "json": b'{"identifier": 1}',
    "msgpack": b"\x93\xbbdials::af::reflection_table\x01\x80",
    "cif": b"data_quartz\n_cell_length_a 4.91\n",
    "text": b"# two theta, counts\n10.0 55\n10.1 57\n",
    "unknown": b"\xff\xfe\x00\x81\x82\x83" * 20,
}


@pytest.mark.parametrize("fmt", sorted(HEADERS))
def test_sniff_format_made_up_headers(tmp_path, fmt):
    p = tmp_path / f"file.{fmt}"
    p.write_bytes(HEADERS[fmt])
    assert sniff_format(p) == fmt


def test_sniff_big_endian_tiff_and_empty_and_missing(tmp_path):
    p = tmp_path / "be.tif"
    p.write_bytes(b"MM\x00*\x00\x00\x00\x08")
    assert sniff_format(p) == "tiff"
    e = tmp_path / "empty.dat"
    e.write_bytes(b"")
    with pytest.raises(FormatError) as ei:
        sniff_format(e)
    assert ei.value.path == str(e) and ei.value.offset == 0
    with pytest.raises(FileNotFoundError):
        sniff_format(tmp_path / "nope")


def test_sniff_text_with_multibyte_char_cut_at_512(tmp_path):
    p = tmp_path / "utf8.txt"
    p.write_bytes(b"a" * 511 + "é".encode() + b"more text")
    assert sniff_format(p) == "text"


def test_open_maybe_gzip(tmp_path):
    g = tmp_path / "a.xy.gz"
    g.write_bytes(gzip.compress(b"1 2\n"))
    t = tmp_path / "a.xy"
    t.write_bytes(b"1 2\n")
    for p in (g, t):
        with open_maybe_gzip(p) as fh:
            assert fh.read() == b"1 2\n"


@pytest.fixture
def restore_level():
    old = bklog.logger.level
    yield
    bklog.logger.setLevel(old)


def test_set_print_level(restore_level):
    expect = {"none": logging.CRITICAL + 10, "error": logging.ERROR, "warn": logging.WARNING,
              "info": logging.INFO, "debug": logging.DEBUG}
    for name, lvl in expect.items():
        bklog.set_print_level(name.upper() if name == "info" else name)
        assert bklog.logger.level == lvl and bklog.get_print_level() == name
    bklog.set_print_level("warning")
    assert bklog.get_print_level() == "warn"
    with pytest.raises(ParameterError, match="print level"):
        bklog.set_print_level("loud")
    assert bklog.get_logger("powder").name == "beamkit.powder"
    assert bklog.get_logger() is bklog.logger


def test_log_messages_follow_level(restore_level):
    buf = io.StringIO()
    h = logging.StreamHandler(buf)
    bklog.logger.addHandler(h)
    try:
        bklog.set_print_level("error")
        bklog.get_logger("t").warning("hidden")
        bklog.get_logger("t").error("shown")
        bklog.set_print_level("none")
        bklog.get_logger("t").critical("also hidden")
    finally:
        bklog.logger.removeHandler(h)
    assert buf.getvalue() == "shown\n"


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self._tty = tty

    def isatty(self):
        return self._tty


def test_progress_silent_when_not_a_tty(monkeypatch, restore_level):
    monkeypatch.delenv("BEAMKIT_PROGRESS", raising=False)
    bklog.set_print_level("warn")
    quiet = _Stream(False)
    monkeypatch.setattr(sys, "stderr", quiet)
    out = list(bklog.progress(range(50), desc="frames", file=quiet))
    assert out == list(range(50)) and quiet.getvalue() == ""
    tty = _Stream(True)
    monkeypatch.setattr(sys, "stderr", tty)
    bar = bklog.progress(range(3), desc="frames", file=tty)
    assert not bar.disable
    list(bar)
    assert "frames" in tty.getvalue()
    bklog.set_print_level("none")                    # printing off: quiet even on a terminal
    assert bklog.progress(range(3), file=tty).disable
    monkeypatch.setenv("BEAMKIT_PROGRESS", "1")      # forced on
    assert not bklog.progress(range(3), file=quiet).disable


def test_error_messages():
    e = FormatError("bad header", path="x.cbf", line=3, expected="###CBF", got="junk")
    assert str(e) == "x.cbf, line 3: bad header expected ###CBF got 'junk'"
    assert isinstance(e, BeamkitError) and isinstance(e, ValueError)
    p = ParameterError([ParameterIssue("a.b", "int", "x"), ParameterIssue("a.c", ">0", -1)])
    assert "2 bad parameters" in str(p) and "a.b" in str(p) and "a.c" in str(p) and len(p.issues) == 3 - 1
    single = ParameterError("engine.numiter", ">= 0", -5)
    assert single.path == "engine.numiter" and "-5" in str(single)
    with pytest.raises(KeyError):
        raise single
    r = RemoteError("boom", "ValueError")
    assert r.remote_type == "ValueError" and str(r) == "ValueError: boom"
    assert isinstance(AccessDenied("no"), RemoteError)
    b = BatchError(7, "x" * 500, ValueError("bad"))
    assert "input #7" in str(b) and len(str(b)) < 300 and b.index == 7
