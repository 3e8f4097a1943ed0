"""The image face's settings on the core parameter tree, and the CLI reading them."""
import pytest

from beamkit import cli
from beamkit.errors import ParameterError
from beamkit.image.params import TREE, batch_settings


def test_defaults_match_the_batch_functions():
    import inspect

    from beamkit.image.batch import integrate_files, watch
    st = batch_settings()
    sig = inspect.signature(integrate_files).parameters
    assert st.integrate.engine == sig["engine"].default
    assert st.integrate.processes == sig["processes"].default
    assert st.integrate.pixel_mask == sig["esd_mul"].default
    wsig = inspect.signature(watch).parameters
    assert st.watch.poll == wsig["poll"].default and st.watch.stable == wsig["stable_s"].default


def test_file_then_overrides(tmp_path):
    cfg = tmp_path / "batch.yaml"
    cfg.write_text("integrate:\n  engine: numpy\n  processes: 3\nwatch:\n  poll: 2.0\n")
    st = batch_settings(cfg, integrate__processes=1)
    assert (st.integrate.engine, st.integrate.processes, st.watch.poll) == ("numpy", 1, 2.0)


def test_three_bad_values_listed_at_once(tmp_path):
    cfg = tmp_path / "batch.yaml"
    cfg.write_text("integrate:\n  engine: cuda\n  processes: 0\nwatch:\n  pol: 1\n")
    with pytest.raises(ParameterError) as err:
        batch_settings(cfg)
    paths = {i.path for i in err.value.issues}
    assert {"integrate.engine", "integrate.processes", "watch.pol"} <= paths
    assert "poll" in str(err.value)          # did-you-mean


def test_cli_reports_bad_config(tmp_path, capsys):
    cfg = tmp_path / "batch.yaml"
    cfg.write_text("integrate:\n  engine: cuda\n")
    ctrl = tmp_path / "x.imctrl"
    ctrl.write_text("distance:100.0\n")
    rc = cli.main(["image", "integrate", "a.tif", "--controls", str(ctrl), "--config", str(cfg)])
    assert rc == 2
    assert "integrate.engine" in capsys.readouterr().err


def test_reference_docs_mention_every_entry():
    md = TREE.to_markdown()
    for name in ("integrate.engine", "watch.timeout", "integrate.pixel_mask"):
        assert name.split(".")[-1] in md
