"""The typed parameter tree (ptypy semantics): values in :class:`Param`, declarations in a
:class:`DescriptorTree`.

>>> tree = DescriptorTree("demo")
>>> _ = tree.declare("engine.DM.numiter", type="int", default=123, lowlim=0, help="iterations")
>>> tree.resolve({"engine": {"DM": {"numiter": 5}}}).engine.DM.numiter
5

Rules, one each:

* Types: ``int`` is any integral number (numpy too) but not bool; ``float`` any real
  number but not bool; ``tuple`` and ``list`` are interchangeable; ``Param``/``dict``
  any mapping; ``file`` a str or path.  A type ``@path`` is a link: the entry takes
  its schema and default from ``path``.  ``@x.*`` is a multi-target link whose target
  is the child of ``x`` named by the user's ``name`` entry.
* A node whose only child is ``*`` is a wildcard: each user key under it is checked
  against the ``*`` entry (``scans.*``, ``engines.*``).
* Limits (``lowlim``/``uplim``) are inclusive and apply element-wise to sequences;
  ``choices`` are checked (element-wise for sequences).
* ``None`` is a value, not "use the default": it is accepted where the type lists
  ``None`` or the declared default is None, and ``resolve`` keeps it.
* Merging: ``resolve`` fills every missing entry with its default at every depth
  (one deep-merge rule); it returns a new tree and never changes its input.
* Validation reports every problem at once (``ParameterError.issues``), unknown keys
  with a did-you-mean suggestion, unknown ``name`` entries with the known ones.
"""
from __future__ import annotations

from .params_tree import MISSING, Descriptor, DescriptorTree, copy_value
from .params_value import Param, param_from_json, param_from_yaml, to_plain

__all__ = ["Param", "Descriptor", "DescriptorTree", "MISSING", "copy_value", "param_from_json",
           "param_from_yaml", "to_plain"]
