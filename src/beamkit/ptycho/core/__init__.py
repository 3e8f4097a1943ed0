"""Batched reconstruction storage: Storage, Container, Views (index arrays) and Pods."""
from .storage import Storage, Container, Views, View, PodTable

__all__ = ["Storage", "Container", "Views", "View", "PodTable"]
