"""Area-detector images with GSAS-II's image scripting names (G2Image), on fabio and pyFAI.

Read images (``G2Image.from_file`` or ``G2Project.add_image``), load or set
Image Controls and masks, ``Recalibrate`` against a calibrant, make a pixel
mask and ``Integrate`` to powder patterns; batches of files go through
:mod:`beamkit.image.batch` (``beamkit image integrate``).
"""
from .g2image import G2Image
from .pattern import IntegratedPattern

__all__ = ["G2Image", "IntegratedPattern"]
