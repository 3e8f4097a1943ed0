"""Configure and run scans on the simulated microscope, as a SpecPy acquisition script would.

Creates a measurement, sets pixel size, field, dwell time and an xyz scan mode,
clones the configuration for a STED image, runs both, sums the channels and
saves everything (stacks + parameters) to scan.obf in the current folder.
"""
import numpy as np

from beamkit.microscope import File, Imspector

im = Imspector()                                   # a simulated Imspector in this process
im.set_parameters("Simulator/time_scale", 0.0)     # do not wait the real dwell time
msr = im.create_measurement()
config = msr.active_configuration()
config.set_parameters("ExpControl/scan/range/mode", 528)           # x, y, z
config.set_parameters("ExpControl/scan/range/x/psz", 4e-8)
config.set_parameters("ExpControl/scan/range/y/psz", 4e-8)
config.set_parameters("ExpControl/scan/range/x/len", 4e-6)
config.set_parameters("ExpControl/scan/range/y/len", 4e-6)
config.set_parameters("ExpControl/scan/range/z/res", 3)
config.set_parameters("ExpControl/scan/dwelltime", 5e-6)
print("pixels:", [config.parameters(f"ExpControl/scan/range/{a}/res") for a in "xyz"])

sted = msr.clone(config)                                            # becomes the active configuration
sted.set_parameters("ExpControl/measurement/lasers/3/power/calibrated", 30.0)

ended = []
im.connect_end(lambda: ended.append(msr.active_configuration().name()), 0)
for conf in (config, sted):
    msr.activate(conf)
    result = im.run(msr)
    image = np.sum(conf.stack(0).data(), axis=(0, 1))             # sum over t and z
    print(f"{conf.name()}: result {result}, {conf.stack_names()}, counts {int(image.sum())}")
print("end callbacks:", ended)

msr.save_as("scan.obf")
f = File("scan.obf", File.Read)
s = f.read(0)
print(f"scan.obf: {f.number_of_stacks()} stacks; first {s.name()!r} {s.shape()}, "
      f"psz from its parameters {s.parameters('doc/ExpControl/scan/range/x/psz')}")
