"""The reflections demo, command line and core-table HDF5 of a shoebox column."""
from __future__ import annotations

import numpy as np

from shared_data import shared_file
from beamkit.core.table import Table
from beamkit.reflections import MaskCode, ShoeboxColumn, flex
from beamkit.reflections import cli, demo


def test_demo(tmp_path):
    res = demo.run(tmp_path)
    assert res["spots_found"] == res["spots_simulated"] == 144
    assert res["max_centroid_error_px"] < 0.3
    assert (tmp_path / "spots.png").stat().st_size > 1000 and (tmp_path / "foreground_histogram.png").exists()
    t = flex.reflection_table.from_file(tmp_path / "strong.refl")
    assert sum(res["histogram_slots"]) == t.size()


def test_cli_show_and_histogram(capsys, tmp_path):
    refl = shared_file("dials-data", "centroid_test_data", "indexed.refl")
    assert cli.main(["show", str(refl)]) == 0
    out = capsys.readouterr().out
    assert "654 rows, 18 columns" in out and "indexed                              569" in out
    assert "d6c88837-e8dd-467f-beff-356887317c56" in out
    png = tmp_path / "h.png"
    assert cli.main(["histogram", str(refl), "--flags", "indexed", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    counts = [int(line.split()[1]) for line in out.splitlines()[1:11]]
    assert counts == [266, 146, 102, 34, 14, 3, 2, 0, 1, 1] and png.exists()
    expt = shared_file("dials-data", "centroid_test_data", "indexed.expt")
    assert cli.main(["show", str(expt)]) == 0
    assert "42.209, 42.209, 39.693" in capsys.readouterr().out


def test_cli_find_spots(tmp_path, capsys):
    from beamkit.reflections.simulate import simulate_still
    import fabio
    img, _, _ = simulate_still((300, 300), 25, seed=9)
    p = tmp_path / "sim.edf"
    fabio.edfimage.EdfImage(data=img).write(str(p))
    out = tmp_path / "strong.refl"
    assert cli.main(["find-spots", str(p), "--out", str(out), "--plot", str(tmp_path / "s.png")]) == 0
    assert "25 strong spots" in capsys.readouterr().out
    assert flex.reflection_table.from_file(out).size() == 25 and (tmp_path / "s.png").exists()


def test_core_table_hdf5_with_shoeboxes(tmp_path):
    t = flex.reflection_table.from_file(shared_file("dials-data", "ssx_CuNiR_test_data", "strong_1.refl"))
    core = t.table
    core.save_hdf5(tmp_path / "t.h5")
    back = Table.load_hdf5(tmp_path / "t.h5")
    assert isinstance(back["shoebox"], ShoeboxColumn)
    assert np.array_equal(back["shoebox"].count_mask_values(MaskCode.Foreground).as_numpy_array(),
                          t.numpy("n_signal"))
    assert flex.reflection_table(back).size() == 167
