"""Area-detector images with GSAS-II's image scripting names (G2Image)."""
