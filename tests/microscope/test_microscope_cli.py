"""beamkit microscope info / serve, the demo and the star import."""
import subprocess
import sys

import numpy as np

from beamkit.microscope import cli, demo

from shared_data import shared_file


def test_star_import_gives_specpy_names():
    ns = {}
    exec("from beamkit.microscope import *", ns)  # noqa: S102 - our own module
    for name in ("Imspector", "File", "Stack", "ValueTree", "MeasurementSignal", "UInt16", "Complex32"):
        assert name in ns
    assert ns["File"].Read == 0 and ns["File"].Write == 1 and ns["File"].Append == 2
    assert ns["Complex32"] == 0x40000040 and ns["ValueTree"].Measurement == 2


def test_info_on_real_msr(capsys):
    path = shared_file("specpy-data", "imspectordocs", "data_analysis_example.msr")
    assert cli.main(["info", str(path), "--stats"]) == 0
    out = capsys.readouterr().out
    assert "3 stacks" in out and "'Data004 [Cut]'" in out and "sum 2.1393e+07" in out
    assert "'Leica X'" in out and "v5, zlib level 1" in out


def test_info_errors(tmp_path, capsys):
    assert cli.main(["info", str(tmp_path / "none.obf")]) == 2
    assert "No such file" in capsys.readouterr().err
    bad = tmp_path / "bad.obf"
    bad.write_bytes(b"x" * 100)
    r = subprocess.run([sys.executable, "-m", "beamkit.cli", "microscope", "info", str(bad)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "No OBF file header found" in r.stderr


def test_demo(tmp_path):
    res = demo.run(tmp_path)
    assert (tmp_path / "scan.png").stat().st_size > 1000
    from beamkit.microscope import File
    f = File(res["obf"])
    assert f.number_of_stacks() == 4 and res["results"] == {"Configuration 1": 0, "Configuration 2": 0}
    confocal, sted = f.read(0).data()[0, 0], f.read(2).data()[0, 0]
    # STED sharpens the beads: the brightest pixels are fewer
    assert np.count_nonzero(sted > sted.max() / 2) < np.count_nonzero(confocal > confocal.max() / 2)
