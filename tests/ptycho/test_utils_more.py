"""ptypy.utils names added to beamkit.ptycho.utils: each compared with ptypy's formula, written
here as plain numpy on small inputs."""
import types

import numpy as np
import pytest
from scipy import ndimage
from scipy.special import erf

from beamkit.ptycho import utils as u


def _step(x, mfs):
    return 0.5 * erf(x * 2.35 / mfs) + 0.5


def test_smooth_step_gaussians():
    x = np.linspace(-3, 3, 13)
    assert np.allclose(u.smooth_step(x, 1.5), 0.5 * erf(x * 2.35 / 1.5) + 0.5)
    g = np.exp(-(x - 0.5) ** 2 / (2 * 0.7 ** 2)) / (0.7 * np.sqrt(2 * np.pi))
    assert np.allclose(u.gaussian(x, 0.7, 0.5), g)
    assert np.allclose(u.gaussian(x), np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi))
    assert np.allclose(u.gauss_fwhm(x, 2.0, 0.5), u.gaussian(x, 2.0 / 2 / np.sqrt(2 * np.log(2)), 0.5))
    y, xx = np.mgrid[0:7, 0:7] - 3
    ref = np.exp(-((xx - 0.5) ** 2 / (2 * 1.2 ** 2) + (y + 1) ** 2 / (2 * 0.8 ** 2))) / (2 * np.pi * 1.2 * 0.8)
    assert np.allclose(u.gaussian2D(7, 1.2, 0.8, 0.5, -1.0), ref)
    with pytest.raises(ValueError):
        u.gaussian2D(7.0)


def test_rectangle_ellipsis_on_grids():
    G = u.grids((12, 10))
    V, H = G
    assert np.allclose(u.rectangle(G, (6, 4), 1.5), _step(-np.abs(V) + 3, 1.5) * _step(-np.abs(H) + 2, 1.5))
    assert np.allclose(u.rectangle(G), _step(-np.abs(V) + 12 / 4, 2) * _step(-np.abs(H) + 10 / 4, 2))
    ref = _step(0.5 - np.sqrt(V ** 2 / 36.0 + H ** 2 / 16.0), 2 / np.sqrt(24.0))
    assert np.allclose(u.ellipsis(G, (6, 4)), ref)


def test_electron_wavelength_and_rl_deconvolution():
    assert np.isclose(u.electron_wavelength(300.0), 12.398 / np.sqrt(300 * (1022 + 300)) * 1e-10)
    rng = np.random.default_rng(0)
    data = rng.random((8, 8)) + 0.5
    mtf = np.abs(np.fft.fft2(np.exp(-np.sum(np.asarray(u.grids((8, 8), center="fft")) ** 2, 0))))
    mtf /= mtf[0, 0]
    conv = lambda a: np.abs(np.fft.ifft2(np.fft.fft2(a) * mtf)).astype(a.dtype)  # noqa: E731
    est = data.copy()
    for _ in range(3):
        est *= conv(data / (conv(est) + 1e-6))
    assert np.allclose(u.rl_deconvolution(data, mtf, 3), est)


def test_radial_distribution():
    A = np.zeros((9, 9))
    A[3:6, 3:7] = np.arange(12).reshape(3, 4) + 1.0
    cen = np.sum(A * np.indices(A.shape), axis=(1, 2)) / A.sum()
    d = np.sqrt(((np.indices(A.shape) - cen.reshape(2, 1, 1)) ** 2).sum(0))
    radii, masses = u.radial_distribution(A)
    assert list(radii) == [1, 2, 3]
    assert np.allclose(masses, [np.sum(A * (d < r)) for r in radii])
    assert np.allclose(u.radial_distribution(A, [0.5, 1.7])[1], [np.sum(A * (d < r)) for r in (0.5, 1.7)])


def _hot_ref(data, size, tol, ignore_edges):
    blurred = ndimage.median_filter(data, size=size)
    thr = tol * np.std(data - blurred)
    hot = np.array(np.nonzero(np.abs((data - blurred)[1:-1, 1:-1]) > thr)) + 1
    out = data.copy()
    for y, x in zip(*hot):
        out[y, x] = blurred[y, x]
    if ignore_edges:
        return out, hot
    h, w = data.shape
    extra = []

    def check(r, c, win):
        med = np.median(win)
        if abs(data[r, c] - med) > thr:
            extra.append((r, c))
            out[r, c] = med
    for i in range(1, h - 1):
        check(i, 0, data[i - 1:i + 2, 0:2])
        check(i, w - 1, data[i - 1:i + 2, -2:])
    for j in range(1, w - 1):
        check(0, j, data[0:2, j - 1:j + 2])
        check(h - 1, j, data[-2:, j - 1:j + 2])
    check(0, 0, data[0:2, 0:2])
    check(0, w - 1, data[0:2, -2:])
    check(h - 1, 0, data[-2:, 0:2])
    check(h - 1, w - 1, data[-2:, -2:])
    if extra:
        hot = np.hstack([hot, np.array(extra).T])
    return out, hot


@pytest.mark.parametrize("ignore_edges", [False, True])
def test_remove_hot_pixels(ignore_edges):
    rng = np.random.default_rng(3)
    data = rng.normal(10, 1, (12, 14))
    for r, c in [(4, 5), (0, 7), (11, 0), (6, 13), (0, 0), (11, 13)]:
        data[r, c] += 40
    fixed, hot = u.remove_hot_pixels(data, 3, 3, ignore_edges)
    rf, rh = _hot_ref(data, 3, 3, ignore_edges)
    assert np.allclose(fixed, rf)
    assert np.array_equal(hot, rh)
    assert hot.shape[1] == (1 if ignore_edges else 6)


@pytest.mark.parametrize("avg_type", ["highest", "mean"])
def test_hdr_image(avg_type):
    rng = np.random.default_rng(1)
    truth = rng.random((10, 10)) * 1e5
    exps = [1.0, 0.1, 0.01]
    imgs = [np.minimum(truth * e, 6e4) + 100 for e in exps]
    darks = [np.full((10, 10), 100.0)]
    hdr, masks = u.hdr_image(imgs, exps, thresholds=[300, 50000], dark_list=darks, avg_type=avg_type)
    # ptypy's procedure, written out
    ims = [np.abs(i - 100.0) for i in imgs]
    ms = []
    for im, e in zip(ims, exps):
        hi = ndimage.binary_erosion(im < 50000)
        lo = ndimage.binary_dilation(im > 300)
        ms.append(np.ones((10, 10), int) * (lo if e == min(exps) else hi if e == max(exps) else lo * hi))
    if avg_type == "highest":
        order = np.argsort(exps)[::-1]
        msum = ms[order[0]].copy()
        ref = ims[order[0]] * 1.0
        for k in order[1:]:
            t = ((1 - msum) * ms[k]).astype(bool)
            msum[t] = 1
            ref[t] = ims[k][t] * max(exps) / exps[k]
    else:
        ref = sum(im * max(exps) / e * m for im, e, m in zip(ims, exps, ms))
        cnt = sum(ms)
        cnt[cnt == 0] = 1
        ref = ref / cnt
    assert np.allclose(hdr, ref)
    assert all(np.array_equal(a, b) for a, b in zip(masks[1:], ms[1:]))


def _star_ref(sh, spokes, std, minfeature, ringfact, rings, contrast):
    def step(x, a, s=0.5):
        return 0.5 * erf((x - a) / (s * 2)) + 0.5
    ind = np.indices((sh, sh)) - (sh - 1) / 2.0
    z = ind[1] + 1j * ind[0]
    ang, dphi = np.linspace(0, np.pi, spokes // 2, False, True)
    ang = ang + dphi / 2
    r = np.abs(z)
    r0 = (minfeature / 2.0) / np.sin(dphi / 4.)
    rl, rin = [], r0
    for _ in range(rings):
        if rin > sh / np.sqrt(2.):
            break
        rin *= ringfact
        rl.append((rin * (1 - 2 * np.sin(dphi / 4.)), rin))
    out = np.zeros((sh, sh))
    c = min(abs(contrast), 1)
    for a in ang:
        col = 0.5 - np.abs((a - ang.min()) / (ang.max() - ang.min()) - 0.5)
        sp = step(np.real(z * np.exp(-1j * (a + dphi / 4))), 0) - step(np.real(z * np.exp(-1j * (a - dphi / 4))), 0)
        out += (sp * col + 0.5 * np.abs(sp)) * (1 - c) + c * np.abs(sp)
    out *= step(r, r0)
    out *= step(rl[-1][0], r)
    for a, b in rl[:-1]:
        out *= 1.0 - step(r, a, std) * step(-r, -b, std)
    return out


def test_xradia_star():
    ref = _star_ref(64, 12, 0.8, 3, 2, 3, 0.4)
    assert np.allclose(u.xradia_star(64, 12, std=0.8, minfeature=3, ringfact=2, rings=3, contrast=0.4), ref)
    assert u.xradia_star((40, 40), 8, Fast=True).shape == (40, 40)


def test_phase_from_dpc_matches_ptypy_fourier_integration():
    rng = np.random.default_rng(2)
    dr, dc = rng.normal(size=(2, 6, 8))
    sh = np.array(dr.shape)
    c = -dc + 1j * -dr
    f = np.block([[c, c[:, ::-1]], [c[::-1, :], c[::-1, ::-1]]])
    q0 = (np.fft.ifftshift(np.arange(12) - 6) * np.pi / 12)[:, None]
    q1 = (np.fft.ifftshift(np.arange(16) - 8) * np.pi / 16)[None, :]
    qc = q0 + 1j * q1
    qc[0, 0] = 1
    inv = 1 / qc
    inv[0, 0] = 0
    ref = np.real(np.fft.ifft2(np.fft.fft2(f) * inv))[:sh[0], :sh[1]]
    assert np.allclose(u.phase_from_dpc(dr, dc), ref)


def _fake_storage(nframes=3):
    rng = np.random.default_rng(5)
    probe = rng.random((4, 4)) + 0.1
    di_st = types.SimpleNamespace(_to_phys=lambda pix: (np.asarray(pix) - 2.0) * 1e-4)
    geo = types.SimpleNamespace(lz=2e-9)
    st = types.SimpleNamespace(data=np.ones((1, 8, 8), complex))
    views, frames = [], []
    for k in range(nframes):
        frames.append(rng.random((4, 4)) * (k + 1))
        sl = (0, slice(k, k + 4), slice(2 * k % 4, 2 * k % 4 + 4))
        pod = types.SimpleNamespace(active=True, diff=frames[-1], di_view=types.SimpleNamespace(storage=di_st),
                                    geometry=geo, pr_view=types.SimpleNamespace(shape=(4, 4), data=probe))
        views.append(types.SimpleNamespace(pods={"P": pod}, slice=sl, psize=np.array([1e-8, 2e-8])))
    st.views = views
    return st, probe, frames


def test_stxm_analysis_and_init():
    st, probe, frames = _fake_storage()
    trans, drow, dcol = u.stxm_analysis(st)
    T, R, C = (np.zeros((1, 8, 8)) for _ in range(3))
    nrm = np.zeros((1, 8, 8)) + 1e-10
    for v, d in zip(st.views, frames):
        m = np.sum(d * np.indices(d.shape), axis=(1, 2)) / d.sum()
        q = (m - 2.0) * 1e-4
        R[v.slice] += q[0] * 1e-8 * probe * 2 * np.pi / 2e-9
        C[v.slice] += q[1] * 2e-8 * probe * 2 * np.pi / 2e-9
        T[v.slice] += np.sqrt(d.sum()) * probe
        nrm[v.slice] += probe
    tmax = max(d.sum() for d in frames)
    assert np.allclose(trans, T / (nrm * np.sqrt(tmax)))
    assert np.allclose(drow, R / nrm) and np.allclose(dcol, C / nrm)
    x, y = u.grids((4, 4))
    t2 = u.stxm_analysis(st, 1.5)[0]
    g = np.exp(-(x ** 2 + y ** 2) / 1.5 ** 2)
    assert not np.allclose(t2, trans) and np.isfinite(t2).all() and t2.max() > 0 and g.shape == (4, 4)
    u.stxm_init(st)
    assert np.allclose(st.data, trans * np.exp(-1j * u.phase_from_dpc(drow, dcol)))


def test_diversify_in_place():
    A = np.ones((3, 4, 4), complex)
    assert u.diversify(A, power=(0.5, 0.25)) is None
    p = np.array([1, 0.5, 0.25])
    assert np.allclose(A, np.sqrt(p / p.sum()).reshape(3, 1, 1))
    B = np.ones((3, 4, 4), complex)
    u.diversify(B, noise=(0.5, 1.0), power=0.1)
    assert np.allclose(np.abs(B[1:]), np.sqrt(0.1 / 1.2)) and np.allclose(B[0], np.sqrt(1 / 1.2))
    assert not np.allclose(B[1], B[1, 0, 0])
    with pytest.raises(NotImplementedError):
        u.diversify(B, shift=1)


def test_misc_strings_and_paths(tmp_path):
    A = np.array([b"hallo", b"ab"])
    codes = u.str2int(A)
    assert codes.dtype == np.uint8 and codes.tolist() == [[ord(c) for c in "hallo"], [97, 98, 0, 0, 0]]
    assert u.str2int(codes).tolist() == [b"hallo", b"ab"]
    assert u.str2range("1:4:2") == list(range(1, 4, 2)) and u.str2range("3") == [3]
    assert u.str2range("2:5") == [2, 3, 4]
    for s in ["0,1:3,...", ":, ::2", "-1, None", "2:"]:
        assert u.str2index(s) == eval("np.index_exp[" + s + "]")
    with pytest.raises(ValueError):
        u.str2index("__import__('os')")
    assert u.unique_path("~/x") == str(__import__("pathlib").Path("~/x").expanduser().absolute())
    assert list(u.expectN(3, 2)) == [3, 3] and list(u.expectN((1, 2), 3)) == [1, 2, 2]
    assert u.isstr("a") and not u.isstr(b"a")

    class A0:
        pass

    class A1(A0):
        pass

    class A2(A1):
        pass

    class A3(A0):
        pass
    assert u.all_subclasses(A0, names=True) == ["A1", "A3", "A2"]


def test_length_units_and_citations():
    assert u.length_units(3e-8) == ("nm", 1e9, 3e-8 * 1e9)
    assert u.length_units(5e-5)[0] == "um" and u.length_units(0.02)[0] == "mm"
    assert u.length_units(7.0)[0] == "m" and u.length_units(5e3)[:2] == ("km", 1e-3)
    assert u.pretty_length(3.14159) == "3.14" and u.pretty_length(1234.5) == "1234"
    b = u.Bibliography()
    b.add_article("ptycho", "Title", "A. B.", "Nature", 494, 2013, page=68, doi="10.1/x")
    b.add_article("ptycho", "Other", "C.", "J", 1, 2000)
    assert str(b) == 'ptycho:\n    A. B., "Title" Nature 494 (2013) 68, doi: 10.1/x.'
    assert str(u.JournalArticle("T", "A", "J", 1, 2000)) == 'A, "T" J 1 (2000).'


def test_table():
    t = u.Table({"x": 0.0, "n": 0}, name="pods")
    t.new_table(3)
    assert t.select_match("n", 0).tolist() == [0, 1, 2]
    ids = t.add_records([(1.5, 2), (2.5, 3)])
    assert ids == [3, 4] and t.select_range("x", 1.0, 2.0).tolist() == [3]
    t.insert_records([(9.0, 9)], [0])
    assert t.pull_records([0])[0] == (9.0, 9) and t.pull_records([0])[0].n == 9
    assert t.select_func(lambda i, n: n > 2, fields=["n"]).tolist() == [0, 4]
    t.modify_add([4], n=7)
    assert t.pull_records()[-1] == (2.5, 7)
    t.new_fields(flag=True)
    assert t.pull_records()[1] == (0.0, 0, True) and len(t.pull_records()) == 6


def test_parallel_serial_stand_in():
    p = u.parallel
    assert p.rank == 0 and p.size == 1 and p.master and not p.MPIenabled
    assert p.loadmanager.assign(["a", "b", "c"]) == [[0, 1, 2]] and p.LoadManager().rank_of == {}
    assert p.gather_list(["a", "b"], 3, [2, 0]) == ["b", None, "a"]
    assert p.bcast_dict({"a": 1}, keys=["b"]) == {"a": 1} and p.gather_dict({"a": 1}) == {"a": 1}
    assert p.MPIsum([np.ones(3), np.ones(2)]) == 5 and p.MPImax([np.arange(4)]) == 3
    np.random.seed(4)
    n = p.MPInoise2d((2, 6, 6), 0.5, 2.0)
    np.random.seed(4)
    ph = ndimage.gaussian_filter(np.random.normal(0, 0.5, (2, 6, 6)), (0, 2.0 / 2.35, 2.0 / 2.35))
    assert np.allclose(n, np.exp(1j * ph))
    assert p.MPIrand_uniform(size=(2,)).shape == (2,)


def test_verbose_names_at_top_level():
    assert u.set_level is u.verbose.set_level and u.report is u.verbose.report and u.log is u.verbose.log


def test_franzmap_and_ptyaxis(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cm = u.franzmap()
    assert np.allclose(cm(0.0)[:3], (0, 0, 0)) and np.allclose(cm(1.0)[:3], (0.5, 0, 0))
    assert np.allclose(cm(0.5)[:3], (np.interp(0.5, [0.35, 0.66], [0, 1]), 1, np.interp(0.5, [0.34, 0.65], [1, 0])),
                       atol=0.01)
    data = np.exp(1j * u.grids((16, 16))[1] / 3.0) * (1 + u.grids((16, 16))[0] ** 2)
    fig = plt.figure()
    pa = u.PtyAxis(fig.add_subplot(111), data=data, channel="a", cmap="viridis", vmin=0.0)
    pa.set_mask(5.0)
    pa.add_colorbar()
    pa.set_channel("c")
    pa.set_data(data[:8])
    assert pa.shape == (8, 16) and pa.mx == pytest.approx(np.abs(data[:8][pa.mask]).max())
    with pytest.raises(ValueError):
        pa.set_channel("x")
    fig.savefig(tmp_path / "pa.png")
    plt.close(fig)
    plt.rcdefaults()
