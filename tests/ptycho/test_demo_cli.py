import json
import os


from beamkit.ptycho import cli, demo


def test_demo_writes_png_and_ptyr(tmp_path):
    r = demo.run(tmp_path)
    assert os.path.getsize(r["png"]) > 10000 and os.path.isfile(r["ptyr"])
    assert r["frames"] == 92 and r["last_errors"][1] < 0.01 * r["first_errors"][1]
    assert r["nrmse"] < 0.5
    assert json.loads((tmp_path / "benchmark.json").read_text())["engine_iterate"] > 0
    from beamkit.ptycho.plot import figure_from_ptyr
    fig = figure_from_ptyr(r["ptyr"])
    assert len(fig.axes) >= 4
    out = tmp_path / "again.png"
    assert cli.main(["plot", r["ptyr"], "-o", str(out)]) == 0 and out.stat().st_size > 10000


def test_cli_run_from_yaml(tmp_path):
    y = tmp_path / "p.yaml"
    y.write_text(f"""
verbose_level: warning
io: {{home: {tmp_path / 'out'}, autoplot: {{active: false}}, interaction: {{active: false}}, autosave: {{active: false}}}}
scans:
  MF: {{name: Full, data: {{name: MoonFlowerScan, num_frames: 20, shape: 32}}}}
engines:
  e0: {{name: RAAR, numiter: 5, beta: 0.9}}
""")
    assert cli.main(["run", str(y), "--quiet"]) == 0
    files = list((tmp_path / "out" / "recons").rglob("*.ptyr"))
    assert len(files) == 1 and files[0].name.endswith("_RAAR_0005.ptyr")


def test_cli_missing_file_is_a_parameter_error(tmp_path):
    import pytest
    from beamkit.errors import ParameterError
    with pytest.raises(ParameterError):
        cli.main(["run", str(tmp_path / "nope.yaml")])
    with pytest.raises(ParameterError):
        cli.main(["plot", str(tmp_path / "nope.ptyr")])
