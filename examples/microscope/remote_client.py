"""Drive a simulated Imspector server over SpecPy's wire protocol.

Starts ``beamkit microscope serve`` on a free loopback port in a child process,
then connects with ``Imspector(host, port)`` (the real ``specpy`` client could
connect the same way), runs a measurement and reads its stack data.
"""
import threading

from beamkit.microscope import Imspector
from beamkit.microscope.server import serve_in_subprocess

with serve_in_subprocess() as port:     # `beamkit microscope serve --port PORT` in a child process
    im = Imspector("127.0.0.1", port)
    print("connected to Imspector", im.version())
    msr = im.create_measurement()
    msr.set_parameters("ExpControl/scan/range/x/psz", 1e-7)
    print("x pixels:", msr.parameters("ExpControl/scan/range/x/res"))
    done = threading.Event()
    im.connect_end(lambda *args: done.set(), 0)
    print("result:", im.run(msr), "end callback:", done.wait(10))
    stack = msr.stack(0)
    data = stack.data()                  # shared memory on this computer
    print(stack.name(), stack.shape(), data.dtype, "sum", int(data.sum()))
    print("same over TCP:", bool((stack.fetch() == data).all()))
