"""The core part of ``beamkit demo`` writes its files and finds the simulated centres."""
import json

from beamkit.core import demo


def test_core_demo(tmp_path):
    res = demo.run(tmp_path)
    for name in res["files"]:
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / "frames.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res["remote_calls"] == 1
    # 64 Gaussian peaks (sigma 6 px, 400 counts) with Poisson noise: centroids within ~0.1 px rms
    assert res["centroid_rms_error_px"] < 0.3
    assert json.loads((tmp_path / "core.json").read_text())["frames"] == 64


def test_core_demo_settings_are_validated():
    import pytest
    from beamkit.errors import ParameterError
    tree = demo.settings_tree()
    with pytest.raises(ParameterError) as err:
        tree.validate({"frames": {"count": 0, "sigma": "wide", "colour": 1}})
    paths = {i.path for i in err.value.issues}
    assert {"frames.count", "frames.sigma", "frames.colour"} <= paths
