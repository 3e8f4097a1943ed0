"""Microscope control and OBF/MSR files with Imspector SpecPy's names."""
