"""Batches of files: process pool, Dask LocalCluster, a corrupt file, watch mode and the CLI."""
import threading
import time

import numpy as np
import pytest

from beamkit.image import batch, controls as C, simulate as S
from beamkit.image.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import fabio.tifimage
    d = tmp_path_factory.mktemp("imgs")
    true = S.demo_controls(size=[128, 128], pixelSize=[400.0, 400.0], center=[25.3, 26.1])
    data = S.simulate_calibrant(true, noise=False).astype(np.float32)
    paths = []
    for i in range(20):
        p = d / f"frame_{i:03d}.tif"
        if i == 13:
            p.write_bytes(b"II*\x00" + b"\x17" * 300)          # corrupt
        else:
            fabio.tifimage.TifImage(data=data * (1 + 0.01 * i)).write(str(p))
        paths.append(str(p))
    ctrl = d / "cal.imctrl"
    C.write_imctrl(ctrl, true)
    return paths, ctrl, data, true


def _check(recs, paths, exact=True):
    assert [r["file"] for r in recs] == paths
    bad = [r for r in recs if r["error"]]
    assert len(bad) == 1 and bad[0]["file"].endswith("frame_013.tif") and "frame_013.tif" in bad[0]["error"]
    good = [r for r in recs if not r["error"]]
    assert len(good) == 19 and all(r["npoints"] == 1000 for r in good)
    y0 = np.loadtxt(good[0]["outputs"][0], comments=["/*", "#", "*/"])[:, 1]
    y5 = np.loadtxt(recs[5]["outputs"][0], comments=["/*", "#", "*/"])[:, 1]
    if exact:
        np.testing.assert_allclose(y5, y0 * 1.05, rtol=1e-4, atol=1e-3)
    else:   # a pixel mask depends on each image's own statistics
        assert np.sum(y5) == pytest.approx(1.05 * np.sum(y0), rel=0.01)


def test_pool(files, tmp_path):
    paths, ctrl, _, _ = files
    recs = batch.integrate_files(paths, ctrl, outdir=tmp_path, processes=2, show_progress=False)
    _check(recs, paths)


def test_dask_local_cluster(files, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    paths, ctrl, _, _ = files
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        recs = batch.integrate_files(paths, ctrl, outdir=tmp_path, scheduler=cluster, show_progress=False,
                                     esd_mul=5.0)
    _check(recs, paths, exact=False)


def test_watch_waits_for_complete_files(files, tmp_path):
    import fabio.tifimage
    paths, ctrl, data, _ = files
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    fabio.tifimage.TifImage(data=data).write(str(inbox / "a.tif"))
    (inbox / "a.tif.metadata").write_text("[metadata]\nwavelength=0.2\n")

    def late():
        time.sleep(0.4)
        fabio.tifimage.TifImage(data=data).write(str(inbox / "b.tif"))
    th = threading.Thread(target=late)
    th.start()
    recs = batch.watch(str(inbox / "*.tif"), ctrl, outdir=tmp_path / "out", poll=0.1, stable_s=0.3,
                       max_files=2, timeout=20, processes=1)
    th.join()
    assert sorted(r["file"].rsplit("/", 1)[1] for r in recs) == ["a.tif", "b.tif"]
    assert not any(r["error"] for r in recs)


def test_file_ready_rules(tmp_path):
    p = tmp_path / "x.tif"
    p.write_bytes(b"1234")
    sizes = {}
    assert not batch.file_ready(p, sizes, stable_s=0.0)      # first sight: size unknown
    assert batch.file_ready(p, sizes, stable_s=0.0)          # same size again: ready
    p.write_bytes(b"123456")
    assert not batch.file_ready(p, sizes, stable_s=0.0)      # grew: not yet
    (tmp_path / "x.tif.metadata").write_text("")
    assert batch.file_ready(p, {}, stable_s=100.0)


def test_cli(files, tmp_path, capsys):
    paths, ctrl, _, _ = files
    rc = main(["integrate", *paths[10:15], "--controls", str(ctrl), "--out", str(tmp_path), "--processes", "1"])
    out = capsys.readouterr()
    assert rc == 1 and "FAILED" in out.err and "frame_013.tif" in out.err
    assert "integrated 4 of 5 files" in out.out
    assert (tmp_path / "frame_010.tif.xye").exists()
    assert main(["integrate", "--controls", str(ctrl)]) == 2


def test_cli_watch(files, tmp_path, capsys):
    import shutil
    paths, ctrl, _, _ = files
    inbox = tmp_path / "in"
    inbox.mkdir()
    shutil.copy(paths[0], inbox / "w.tif")
    (inbox / "w.tif.metadata").write_text("")
    rc = main(["integrate", "--watch", str(inbox / "*.tif"), "--controls", str(ctrl), "--out", str(tmp_path / "o"),
               "--max-files", "1", "--timeout", "30", "--poll", "0.1", "--processes", "1"])
    assert rc == 0 and "integrated 1 of 1 files" in capsys.readouterr().out
    assert (tmp_path / "o" / "w.tif.xye").exists()
