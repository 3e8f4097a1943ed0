"""Scan models (Vanilla, Full, OPRModel, GradFull, Block*) and propagators."""
from .propagation import FarFieldPropagator, NearFieldPropagator, get_backend, make_propagator
from .scanmodel import (MODELS, BlockFull, BlockGradFull, BlockOPRModel, BlockVanilla, Full, GradFull,
                        OPRModel, ScanBlock, ScanModel, Vanilla, make_model, wavelength_from_energy)

__all__ = ["FarFieldPropagator", "NearFieldPropagator", "get_backend", "make_propagator", "MODELS", "ScanModel",
           "ScanBlock", "Vanilla", "Full", "GradFull", "OPRModel", "BlockVanilla", "BlockFull", "BlockGradFull",
           "BlockOPRModel", "make_model", "wavelength_from_energy"]
