"""A strict CPU stand-in for CuPy, to run the engines' ``cupy`` code path where no GPU is present.

Device arrays wrap numpy arrays and behave as CuPy's do where the host/device boundary matters:

* ``numpy.asarray(device_array)`` (implicit transfer to the host) raises TypeError; ``.get()``
  and ``cupy.asnumpy`` copy to the host;
* arithmetic mixing a device array with a host array (ndim >= 1) raises TypeError;
* ``cupy`` functions refuse host arrays, except the transfers ``asarray``/``array``;
* numpy functions and ufuncs applied to device arrays return device arrays (CuPy implements
  ``__array_function__``/``__array_ufunc__`` the same way);
* ``float()``, ``int()``, ``bool()`` of a size-1 device array work (a synchronising read).

Only what beamkit's engines use is covered. Install with ``sys.modules["cupy"] = fake_cupy``.
"""
from __future__ import annotations

import operator
import types

import numpy as np
import scipy.fft as _sfft


def _is_host(x):
    return isinstance(x, np.ndarray) and x.ndim > 0


def _check(args):
    for a in args:
        if _is_host(a):
            raise TypeError(f"Unsupported type {type(a)} (a host numpy array given to a cupy operation)")
        if isinstance(a, (list, tuple)):
            _check(a)


def _un(x):
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, (list, tuple)):
        return type(x)(_un(v) for v in x)
    if isinstance(x, dict):
        return {k: _un(v) for k, v in x.items()}
    return x


def _wrap(x):
    if isinstance(x, np.ndarray):
        return ndarray(x)
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


def _strict(fn):
    def call(*args, **kw):
        _check(args)
        _check(kw.values())
        return _wrap(fn(*_un(args), **_un(kw)))
    call.__name__ = getattr(fn, "__name__", "fn")
    return call


class ndarray:
    """A device array: a numpy array behind CuPy's host/device rules."""

    __array_priority__ = 1000

    def __init__(self, a):
        self._a = a

    # host/device boundary
    def __array__(self, *args, **kw):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct "
                        "a NumPy array explicitly.")

    def get(self):
        return self._a.copy()

    def __array_ufunc__(self, ufunc, method, *inputs, **kw):
        _check(inputs)
        if "out" in kw:
            _check(kw["out"])
        return _wrap(getattr(ufunc, method)(*_un(inputs), **_un(kw)))

    def __array_function__(self, func, types_, args, kw):
        _check(args)
        return _wrap(func(*_un(args), **_un(kw)))

    # attributes and methods of the wrapped array (views stay views)
    def __getattr__(self, name):
        if name.startswith("__"):            # no __array_interface__ etc.: no silent host view
            raise AttributeError(name)
        attr = getattr(self._a, name)
        return _strict(attr) if callable(attr) else _wrap(attr)

    def __getitem__(self, key):
        return _wrap(self._a[_un(key)])

    def __setitem__(self, key, value):       # CuPy accepts host values here (a transfer)
        self._a[_un(key)] = _un(value)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(r) for r in self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __index__(self):
        return operator.index(self._a)

    def __repr__(self):
        return f"fake_cupy.ndarray({self._a!r})"

    def __neg__(self):
        return ndarray(-self._a)

    def __pos__(self):
        return self

    def __abs__(self):
        return ndarray(abs(self._a))

    def __invert__(self):
        return ndarray(~self._a)


def _binary(op):
    def f(self, other):
        _check((other,))
        return _wrap(op(self._a, _un(other)))

    def r(self, other):
        _check((other,))
        return _wrap(op(_un(other), self._a))

    def i(self, other):
        _check((other,))
        self._a[...] = op(self._a, _un(other))
        return self
    return f, r, i


for _n in ("add", "sub", "mul", "truediv", "floordiv", "pow", "mod", "and", "or", "xor", "matmul"):
    _f, _r, _i = _binary(getattr(operator, _n if _n not in ("and", "or") else _n + "_"))
    setattr(ndarray, f"__{_n}__", _f)
    setattr(ndarray, f"__r{_n}__", _r)
    setattr(ndarray, f"__i{_n}__", _i)
for _n in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_n}__", _binary(getattr(operator, _n))[0])
ndarray.__hash__ = None
ndarray.__module__ = "cupy"


def asarray(a, dtype=None, order=None):
    if isinstance(a, ndarray):
        return a if dtype is None or a._a.dtype == dtype else ndarray(a._a.astype(dtype))
    return ndarray(np.array(a, dtype=dtype, order=order, copy=True))


array = asarray


def asnumpy(a, *args, **kw):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def get_array_module(*args):
    return __import__("sys").modules[__name__]


fft = types.SimpleNamespace(**{n: _strict(getattr(_sfft, n)) for n in
                               ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "fftshift", "ifftshift", "fftfreq")})
cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1,
                                                           memGetInfo=lambda: (8 << 30, 16 << 30)))


def __getattr__(name):          # everything else: numpy's, with CuPy's refusal of host arrays
    attr = getattr(np, name)
    if isinstance(attr, type) or not callable(attr):
        return attr
    return _strict(attr)
