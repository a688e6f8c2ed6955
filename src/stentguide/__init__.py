"""stentguide: coronary stenting pathways, devices, risk scores, leaflets and registry.

A teaching and decision-support aid, not a substitute for clinical judgement.

The names below are the public Python API. They are loaded on first use, so that
``import stentguide`` stays cheap and does no I/O::

    import stentguide
    session = stentguide.start("partial-stent-loss")
    result = stentguide.score("j-cto", {...})

Each area has its own package for more: ``stentguide.protocols``,
``stentguide.devices``, ``stentguide.risk``, ``stentguide.leaflets``,
``stentguide.cases``, ``stentguide.training``, ``stentguide.interop``.
"""

from __future__ import annotations

import importlib
from typing import Any

from stentguide.errors import InputError, StentguideError

__version__ = "0.1.0"

DISCLAIMER = (
    "stentguide is a teaching and decision-support aid, not a substitute for clinical judgement."
)

_LAZY = {
    "Registry": "stentguide.cases",
    "Session": "stentguide.protocols",
    "balloon_diameter_at": "stentguide.devices",
    "check_fit": "stentguide.devices",
    "get_device": "stentguide.devices",
    "get_protocol": "stentguide.protocols",
    "protocol_to_plan_definition": "stentguide.interop",
    "render_leaflet_html": "stentguide.leaflets",
    "render_leaflet_pdf": "stentguide.leaflets",
    "score": "stentguide.risk",
    "score_frame": "stentguide.risk",
    "start": "stentguide.protocols",
}
_RENAMED = {"render_leaflet_html": "render_html", "render_leaflet_pdf": "render_pdf"}

__all__ = [
    "DISCLAIMER",
    "InputError",
    "Registry",
    "Session",
    "StentguideError",
    "__version__",
    "balloon_diameter_at",
    "check_fit",
    "get_device",
    "get_protocol",
    "protocol_to_plan_definition",
    "render_leaflet_html",
    "render_leaflet_pdf",
    "score",
    "score_frame",
    "start",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'stentguide' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
