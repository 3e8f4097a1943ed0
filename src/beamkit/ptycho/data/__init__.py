"""Data sources of the ptycho face: PtyScan (base), PtydScan (.ptyd), MoonFlowerScan, QuickScan, SimScan.

See :mod:`.ptyscan` for the data contract."""
from .ptyscan import EOS, WAIT, PtyScan, make_scan, register, SCANS
from .moonflower import MoonFlowerScan, QuickScan
from .ptyd import PtydScan, PtydWriter, write_ptyd
from .simscan import SimScan

__all__ = ["EOS", "WAIT", "PtyScan", "make_scan", "register", "SCANS", "MoonFlowerScan", "QuickScan", "PtydScan",
           "PtydWriter", "write_ptyd", "SimScan"]
