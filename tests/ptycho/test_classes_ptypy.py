"""ptypy's Container/Storage/View/POD scripting interface (tutorials ptypyclasses.py and ownengine.py)."""
import numpy as np
import pytest

from beamkit.ptycho import Ptycho, utils as u
from beamkit.ptycho.core import POD, Container, Storage, View, exit_container, pods_of
from beamkit.ptycho.core.classes import DEFAULT_ACCESSRULE


def _ptycho(tmp_path, level=2, numiter=2, **scan):
    p = u.Param(verbose_level="warning")
    p.io = u.Param(home=str(tmp_path), rfile=None, autosave=u.Param(active=False), autoplot=u.Param(active=False),
                   interaction=u.Param(active=False))
    p.scans = u.Param(MF=u.Param(name="Full", data=u.Param(name="MoonFlowerScan", num_frames=30, shape=32), **scan))
    p.engines = u.Param(e0=u.Param(name="DM", numiter=numiter))
    return Ptycho(p, level=level)


# ------------------------------------------------------------------ Storage / View basics (ptypyclasses.py)
def test_storage_views_as_in_ptypyclasses_tutorial():
    C1 = Container(data_type="real")
    S1 = C1.new_storage(shape=(1, 7, 7))
    assert S1.ID == "S0000" and S1.owner is C1 and S1.data.dtype == np.float64
    assert isinstance(S1.psize, np.ndarray) and S1.psize.tolist() == [1.0, 1.0]
    assert S1.center.tolist() == [3, 3]
    S1.center = (2, 2)
    S1.psize = 0.1                                     # keeps the centre, moves the origin
    assert np.allclose(S1.origin, [-0.2, -0.2]) and np.allclose(S1.center, [2, 2])
    S1.origin -= 0.12                                  # moves the centre
    assert np.allclose(S1.center, [3.2, 3.2])
    y, x = S1.grids()
    assert np.allclose(y[0, :, 0], -0.32 + 0.1 * np.arange(7))
    S1.fill(x + y)
    ar = DEFAULT_ACCESSRULE.copy()
    ar.shape, ar.coord, ar.storageID, ar.psize = (4, 4), 0.0, S1.ID, None
    V1 = View(C1, ID=None, accessrule=ar)
    assert V1.ID == "V0000" and V1.storage is S1 and list(C1.V) == ["V0000"]
    assert V1.dlayer == 0 and V1.dlow.tolist() == [1, 1] and V1.dhigh.tolist() == [5, 5]
    assert np.allclose(S1[V1], (x + y)[0, 1:5, 1:5]) and np.allclose(C1[V1], V1.data)
    assert V1.dcoord.tolist() == [3, 3] and np.allclose(V1.pcoord, 3.2) and np.allclose(V1.sp, 0.2)
    V1.coord = (0.28, 0.28)
    assert V1.dhigh.tolist() == [8, 8] and S1[V1].shape == (3, 3)
    old = S1.data.copy()
    mn = S1[V1].mean()
    S1.fill_value = mn
    S1.reformat()                                      # crops (and pads) to the one view
    assert S1.shape == (1, 4, 4) and V1.dlow.tolist() == [0, 0] and np.allclose(S1.center, [-0.8, -0.8])
    assert np.allclose(S1.data[0, :3, :3], old[0, 4:, 4:]) and np.allclose(S1.data[0, 3], mn)
    ar2 = ar.copy()
    ar2.coord = (-0.82, -0.82)
    V2 = View(C1, ID=None, accessrule=ar2)
    S1.fill_value = 0.0
    S1.reformat()                                      # grows to reach both views
    assert S1.shape == (1, 15, 15)
    V2.data = V1.data + 1.0                            # writes through
    assert np.allclose(S1.data[0, :4, :4], V1.data + 1.0)
    for i in range(1, 11):
        a = ar.copy()
        a.coord = (-0.82 + i * 0.1, -0.82 + i * 0.1)
        View(C1, ID=None, accessrule=a)
    cov = S1.get_view_coverage()
    assert cov.shape == S1.shape and cov.max() == 4 and cov[0, 0, 0] == 1 and len(S1.views) == 12
    a = DEFAULT_ACCESSRULE.copy()
    a.shape, a.coord, a.storageID, a.psize = 200, 0.0, "S100", 1.0
    V3 = View(C1, ID=None, accessrule=a)              # creates its storage
    assert V3.storage.ID == "S100" and C1.S["S100"].shape == (1, 200, 200)
    rep = C1.formatted_report()
    assert "S100" in rep and "1 * 200 * 200" in rep and "float64" in rep


def test_storage_setters_fill_copy_and_layers():
    S = Storage("S00", np.ones((2, 6, 8), complex), psize=1e-6)
    S.psize = 2e-6
    assert isinstance(S.psize, np.ndarray) and S.psize.tolist() == [2e-6, 2e-6]
    assert np.allclose(S.origin, -S.center * S.psize)
    S.origin = (-4e-6, -2e-6)
    assert np.allclose(S.center, [2, 1])
    S.center = 3
    assert S.center.tolist() == [3, 3] and np.allclose(S.origin, [-6e-6, -6e-6])
    S.fill(5.0)                                        # a scalar becomes the fill value
    assert S.fill_value == 5.0 and np.all(S.data == 5.0)
    S.fill()
    assert np.all(S.data == 5.0)
    S.fill(np.zeros((3, 9, 9)))                        # an array replaces the buffer (and shape)
    assert S.shape == (3, 9, 9) and S.data.dtype == complex
    S.fill(np.arange(81.0).reshape(9, 9))              # a frame is repeated over the layers
    assert S.shape == (3, 9, 9) and np.allclose(S.data[2], np.arange(81.0).reshape(9, 9))
    assert S.ndim == 2 and S[1].shape == (9, 9)
    S.layermap = [10, 20, 30]
    S[20] = 7.0
    assert np.all(S.data[1] == 7.0) and np.all(S[20] == 7.0)
    with pytest.raises(ValueError):
        S[2]
    C = Container("Cx", "complex")
    c = S.copy(C, "S01", fill=0.0)
    assert c.ID == "S01" and C.S["S01"] is c and c.owner is C and np.all(c.data == 0) and c.layermap == [10, 20, 30]
    c2 = S.copy()
    assert c2.ID == "S00" and np.array_equal(c2.data, S.data) and c2.data is not S.data
    d = S._to_dict()
    assert d["ID"] == "S00" and np.allclose(d["_psize"], S.psize)
    assert "Number of views: 0" in S.report() and S.formatted_report()[1]["shape"] == (3, 9, 9)


def test_container_arithmetic_copies_and_reports():
    C = Container("Cobj", "complex")
    C.new_storage("S00", np.ones((1, 4, 4), complex))
    C.new_storage("S01", 2 * np.ones((2, 3, 3), complex))
    assert C.size == 16 + 18 and C.nbytes == 34 * 16 and C.dtype == np.complex128
    a = C.copy()
    b = C.copy(fill=0.0)
    assert (a.ID, b.ID) == ("Cobj_copy0", "Cobj_copy1") and C.copies == [a, b] and a.original is C
    assert np.all(b.S["S01"].data == 0) and np.all(a.S["S01"].data == 2)
    a += C
    assert np.all(a.S["S00"].data == 2) and np.all(C.S["S00"].data == 1)
    a *= 0.5
    a -= 0.25
    assert np.allclose(a.S["S01"].data, 1.75)
    a /= C
    assert np.allclose(a.S["S01"].data, 0.875) and np.allclose(a.S["S00"].data, 0.75)
    b << 3.0
    assert np.all(b.S["S00"].data == 3) and b.S["S00"].fill_value == 3.0
    b << C
    assert np.all(b.S["S01"].data == 2)
    r = C.copy(dtype=np.float32)
    assert r.S["S00"].data.dtype == np.float32 and np.all(r.S["S00"].data == 0)
    with pytest.raises(RuntimeError):
        a.delete_copy()
    C.delete_copy("Cobj_copy0")
    assert [c.ID for c in C.copies] == ["Cobj_copy1", "Cobj_copy2"]
    C.delete_copy()
    assert C.copies == [] and C.copy().ID == "Cobj_copy0"
    assert C.allreduce() is None
    space, text = C.info()
    assert space == C.nbytes and "S01" in text
    assert "Storage S01" in C.report() and "complex128" in C.formatted_report()
    C.clear()
    assert C.S["S01"].shape == (2, 1, 1)
    with pytest.raises(RuntimeError):
        C.new_storage("S00")


# ------------------------------------------------------------------ pods and views of a reconstruction
def test_pods_views_layout_and_write_back(tmp_path):
    P = _ptycho(tmp_path, coherence=u.Param(num_probe_modes=2))
    pods = pods_of(P)
    blk = P.blocks[0]
    assert len(pods) == 30 * 2 and list(pods)[:3] == ["P0000", "P0001", "P0002"]
    if hasattr(type(P), "pods"):
        assert P.pods is pods
    assert all(isinstance(p, POD) for p in pods.values())
    assert len(P.diff.V) == 30 and len(P.mask.V) == 30 and len(P.obj.V) == 60 and len(P.probe.V) == 60
    p0, p1 = pods["P0000"], pods["P0001"]                # frame 0, probe modes 0 and 1
    assert p0.di_view is p1.di_view and list(p0.di_view.pods) == ["P0000", "P0001"]
    assert p0.pr_view.dlayer == 0 and p1.pr_view.dlayer == 1 and p0.pr_view.pod is p0
    assert p0.probe.shape == p0.object.shape == p0.exit.shape == p0.diff.shape == (32, 32)
    assert np.array_equal(p0.probe, blk.probe.data[0]) and np.array_equal(p1.probe, blk.probe.data[1])
    y, x = blk.views.corners[3]
    assert np.array_equal(pods["P0006"].object, blk.obj.data[0, y:y + 32, x:x + 32])
    assert np.array_equal(pods["P0006"].diff, P.diff.S["SMFG00"].data[3])
    v = pods["P0006"].ob_view
    assert np.allclose(v.coord, blk.views.coords[3]) and v.dlow.tolist() == [y, x] and v.storageID == "SMFG00"
    # writes go to the engines' storages
    pods["P0006"].object = np.full((32, 32), 2.0 + 1j)
    assert np.all(blk.obj.data[0, y:y + 32, x:x + 32] == 2.0 + 1j)
    v.data *= 0.5
    assert np.all(P.obj.S["SMFG00"].data[0, y:y + 32, x:x + 32] == 1.0 + 0.5j)
    P.probe[p1.pr_view] = 0.0
    assert np.all(blk.probe.data[1] == 0)
    # views of a storage; a view applies to a container copy
    S = P.obj.S["SMFG00"]
    assert len(S.views) == 60 and S.views[0] is pods["P0000"].ob_view
    cov = S.copy(fill=0.0)
    for view in S.views:
        cov[view] += 1
    assert np.allclose(cov.data.real, S.get_view_coverage().real)
    norm = P.obj.copy(fill=0.0)
    norm[v] += 3.0
    assert norm.S["SMFG00"].data[0, y, x] == 3.0 and S.data[0, y, x] == 1.0 + 0.5j
    # the object views follow the engines' table (position refinement)
    blk.views.move([3], blk.views.coords[3] + 2 * blk.obj.psize)
    assert v.dlow.tolist() == [y + 2, x + 2]


def test_pods_rebuilt_when_the_block_changes(tmp_path):
    P = _ptycho(tmp_path)
    old = pods_of(P)
    assert len(old) == 30 and pods_of(P) is old                # cached
    blk = P.blocks[0]
    new = P.models["MF"].build_from_chunks(P._chunks["MF"], blk.obj.padding)
    blk.__dict__.update(new.__dict__)                            # what Ptycho does when frames arrive
    P._register_block(blk)
    pods = pods_of(P)
    assert pods is not old and len(pods) == 30 and pods["P0000"].ob_view.storage is blk.obj
    assert len(P.obj.V) == 30 and len(exit_container(P).S["SMFG00G00"].layermap) == 30


def test_pod_fw_matches_the_engines_model_intensity(tmp_path):
    from beamkit.ptycho.engines.base import EngineState
    from beamkit.ptycho.engines.kernels import exit_waves
    from beamkit.ptycho.models.propagation import get_backend
    P = _ptycho(tmp_path, level=5, numiter=3, coherence=u.Param(num_probe_modes=2))
    blk = P.blocks[0]
    st = EngineState(blk, get_backend("numpy"), np.float32, np.complex64)
    F = blk.prop.fw(exit_waves(st.P, st.obj_views(), st.pidx, st.pm, st.om))
    I_engine = blk.prop.to_detector((np.abs(F) ** 2).sum(axis=1))
    pods = pods_of(P)
    I_pods = np.zeros_like(I_engine)
    for pod in pods.values():
        I_pods[pod.di_view.dlayer] += np.abs(pod.fw(pod.probe * pod.object)) ** 2
    assert np.allclose(I_pods, I_engine, rtol=1e-4, atol=1e-6 * I_engine.max())
    pod = pods["P0000"]
    x = pod.probe * pod.object
    assert np.allclose(pod.bw(pod.fw(x)), x, atol=1e-5 * np.abs(x).max())
    assert abs(np.sum(np.abs(pod.fw(x)) ** 2) - np.sum(np.abs(x) ** 2)) < 1e-4 * np.sum(np.abs(x) ** 2)


def test_exit_container(tmp_path):
    P = _ptycho(tmp_path, level=4, numiter=2)
    ex = exit_container(P)
    assert ex.ID == "Cexit" and list(ex.S) == ["SMFG00G00"]
    S = ex.S["SMFG00G00"]
    assert S.shape == (30, 32, 32) and S.layermap[:2] == [0, 10000] and len(ex.V) == 30
    pods = pods_of(P)
    pod = pods["P0001"]
    assert np.allclose(pod.exit, pod.probe * pod.object) and pod.ex_view.storage is S
    pod.exit = np.ones((32, 32))                                # kept while no engine iterates
    assert np.all(exit_container(P).S["SMFG00G00"][10000] == 1)
    P.run()                                                     # DM keeps exit waves: the container follows
    eng = P.engines["e0"]
    st = eng.states[0]
    want = (P.blocks[0].prop.bw(st.ex) * st.curve.conj())[1, 0]
    assert np.allclose(pods_of(P)["P0001"].exit, want, atol=1e-5 * np.abs(want).max())


def _fourier_error(P):
    err = []
    for dv in P.diff.V.values():
        group = list(dv.pods.values())
        I = sum(np.abs(p.fw(p.probe * p.object)) ** 2 for p in group)
        m = group[0].mask.astype(float)
        err.append(np.sum(m * (np.sqrt(I) - np.sqrt(np.abs(group[0].diff))) ** 2) / m.sum())
    return float(np.mean(err))


def test_ownengine_style_difference_map_lowers_the_fourier_error(tmp_path):
    """A difference-map loop written only with ptypy's API (as tutorial/ownengine.py)."""
    P = _ptycho(tmp_path, level=2)
    pods = pods_of(P)
    obj_norm, probe_norm = P.obj.copy(fill=0.0), P.probe.copy(fill=0.0)
    e0 = _fourier_error(P)
    for _ in range(12):
        for dv in P.diff.V.values():                           # Fourier constraint, per frame
            if not dv.active:
                continue
            group = dv.pods
            first = next(iter(group.values()))
            amp, m = np.sqrt(np.abs(first.diff)), first.mask.astype(float)
            F = {k: p.fw(2 * p.probe * p.object - p.exit) for k, p in group.items()}
            Imodel = sum(np.abs(f) ** 2 for f in F.values())
            factor = (1 - m) + m * amp / (np.sqrt(Imodel) + 1e-10)
            for k, p in group.items():
                p.exit += p.bw(factor * F[k]) - p.probe * p.object
        for _ in range(2):                                     # overlap constraint
            P.obj *= 0.0
            obj_norm << 1e-10
            for p in pods.values():
                p.object += p.probe.conj() * p.exit
                obj_norm[p.ob_view] += np.abs(p.probe) ** 2
            P.obj /= obj_norm
            P.probe *= 0.0
            probe_norm << 1e-10
            for p in pods.values():
                P.probe[p.pr_view] += p.object.conj() * p.exit
                probe_norm[p.pr_view] += np.abs(p.object) ** 2
            P.probe.allreduce()
            P.probe /= probe_norm
    P.obj.delete_copy()
    P.probe.delete_copy()
    e1 = _fourier_error(P)
    assert e1 < 0.6 * e0 and P.obj.copies == []


def test_loading_data_allocates_no_exit_waves_and_views_need_no_pods_call(tmp_path):
    """print_stats (run by init_data) reports Cexit without allocating n·K frames (the pods and
    their exit storage are built on first use, e.g. P.diff.V, which needs no P.pods call first)."""
    from beamkit.ptycho.core.pods import built_exit
    P = _ptycho(tmp_path, level=2)
    assert built_exit(P) is None and "Cexit" in P.print_stats()
    assert len(P.diff.V) == len(P.blocks[0].indices)
