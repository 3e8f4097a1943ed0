"""Ptychographic reconstruction with ptypy's names (``Ptycho``, ``utils.Param``)."""
