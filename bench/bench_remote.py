"""Benchmark: array round trip through beamkit.core.remote against pickle over ZeroMQ.

Both sides run on loopback in one process (server thread + client).  beamkit sends
msgpack headers with zero-copy array frames; the peer is the common hand-rolled
pattern: ``pickle.dumps`` over a REQ/REP pair (what ptypy-era tools and many lab
scripts do).  Prints the best round-trip time per size and the ratio.
Run: .venv/bin/python bench/bench_remote.py [--sizes-mb 1 16 64] [--repeat 5]
"""
from __future__ import annotations

import argparse
import pickle
import threading

import numpy as np
import zmq

from beamkit.core.remote import Proxy, Server
from _timing import best


class Echo:
    def echo(self, a):
        return a


def pickle_server(ctx, stop):
    rep = ctx.socket(zmq.REP)
    rep.linger = 0
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    ready = threading.Event()

    def loop():
        ready.set()
        while not stop.is_set():
            if rep.poll(50):
                # trusted, same-process peer: this is the baseline being measured, not beamkit
                obj = pickle.loads(rep.recv())
                rep.send(pickle.dumps(obj, protocol=5))
        rep.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    ready.wait()
    return port, t


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes-mb", type=float, nargs="+", default=[1, 16, 64])
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    ctx = zmq.Context()
    stop = threading.Event()
    port, th = pickle_server(ctx, stop)
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.connect(f"tcp://127.0.0.1:{port}")

    def pickle_call(x):
        req.send(pickle.dumps(x, protocol=5))
        return pickle.loads(req.recv())

    print(f"{'size':>8} {'beamkit ms':>11} {'pickle ms':>10} {'beamkit GB/s':>13} {'time ratio':>11}")
    with Server(Echo(), methods=["echo"]) as srv, Proxy(srv.address, timeout=60) as px:
        for mb in a.sizes_mb:
            arr = np.random.default_rng(0).random(int(mb * 2**20 / 8))
            assert np.array_equal(px.echo(arr), arr) and np.array_equal(pickle_call(arr), arr)
            tb = best(lambda: px.echo(arr), a.repeat)
            tp = best(lambda: pickle_call(arr), a.repeat)
            gbs = 2 * arr.nbytes / tb / 1e9
            print(f"{mb:>6g}MB {tb * 1e3:>11.2f} {tp * 1e3:>10.2f} {gbs:>13.2f} {tb / tp:>10.2f}x")
        small = {"iter": 3, "err": [0.1, 0.2], "state": "running"}
        tb = best(lambda: [px.echo(small) for _ in range(200)], 3) / 200
        tp = best(lambda: [pickle_call(small) for _ in range(200)], 3) / 200
        print(f"{'small':>8} {tb * 1e6:>9.0f}us {tp * 1e6:>8.0f}us {'':>13} {tb / tp:>10.2f}x")
    print("time ratio = beamkit / pickle-over-zmq (lower is better for beamkit)")
    stop.set()
    th.join(2)
    req.close()
    ctx.term()


if __name__ == "__main__":
    main()
