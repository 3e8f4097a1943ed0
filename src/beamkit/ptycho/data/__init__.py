"""Data sources of the ptycho face: PtyScan (base), PtydScan (.ptyd), MoonFlowerScan, QuickScan, SimScan."""
from .ptyscan import EOS, WAIT, PtyScan, make_scan, register, SCANS
from .moonflower import MoonFlowerScan, QuickScan

__all__ = ["EOS", "WAIT", "PtyScan", "make_scan", "register", "SCANS", "MoonFlowerScan", "QuickScan"]
