"""Drive a simulated Imspector server over SpecPy's wire protocol.

Starts ``beamkit microscope serve`` on a free loopback port in a child process,
then connects with ``Imspector(host, port)`` (the real ``specpy`` client could
connect the same way), runs a measurement and reads its stack data.
"""
import socket
import subprocess
import sys
import threading
import time

from beamkit.microscope import Imspector

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = subprocess.Popen([sys.executable, "-m", "beamkit.cli", "microscope", "serve", "--port", str(port)],
                          stdout=subprocess.DEVNULL)
try:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
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
finally:
    server.terminate()
    server.wait(10)
