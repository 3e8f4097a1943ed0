"""Powder diffraction with GSAS-II's scripting names (GSASIIscriptable)."""
