"""Look devices up by name: a catalogue entry, a catalogue entry with a length, or a generic text.

Names are compared case-insensitively, with French sizes and numbers normalised
(``"Launcher 6 Fr"`` is ``"Launcher 6F"``, ``"Orsiro 3x18"`` is ``"Orsiro 3.0x18"``).
A balloon or stent entry takes an optional length suffix (``"Emerge 1.5x12"``);
a balloon name ending in ``shaft`` stands for its shaft beside another device.
Anything else is read as a generic description by
:mod:`stentguide.devices.generic` ("6F guide 0.070 in", "balloon 1.5x12 SC").
"""

from __future__ import annotations

import functools
import re
from typing import Any

from stentguide.devices._loader import DEVICE_KINDS, load_catalog, normalise_name
from stentguide.devices.generic import parse_generic
from stentguide.devices.model import Device
from stentguide.errors import InputError, UnknownNameError

__all__ = ["DEVICE_KINDS", "get_device", "list_devices", "load_catalog", "normalise_name"]

_SIZE_SUFFIX = re.compile(r"^(?P<base>.*?)\s*x\s*(?P<length>\d+(?:\.\d+)?)\s*(?:mm)?$")


def _fmt_size(value: float) -> str:
    return f"{value:g}"


def list_devices(kind: str | None = None) -> list[Device]:
    """Catalogue devices, optionally of one kind, sorted by kind then name."""
    if kind is not None and kind not in DEVICE_KINDS:
        raise UnknownNameError("device kind", kind, DEVICE_KINDS)
    order = {k: i for i, k in enumerate(DEVICE_KINDS)}
    chosen = [d for d in load_catalog().values() if kind is None or d.kind == kind]
    return sorted(chosen, key=lambda d: (order[d.kind], d.family, d.name))


@functools.lru_cache(maxsize=4096)
def get_device(name: str) -> Device:
    """A device by catalogue name (``"Launcher 6F"``, ``"Emerge 1.5x12"``) or generic description.

    Raises :class:`~stentguide.errors.UnknownNameError` with the closest names
    when the text is neither, and :class:`~stentguide.errors.InputError` when a
    generic description has an impossible or missing value.
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError("missing device name", {"device": "give a device name"})
    catalog = load_catalog()
    key = normalise_name(name)
    shaft = key.endswith(" shaft")
    if shaft:
        key = key.removesuffix(" shaft").strip()
    device = catalog.get(key)
    length: float | None = None
    if device is None and (match := _SIZE_SUFFIX.match(key)):
        device = catalog.get(match.group("base"))
        length = float(match.group("length"))
        if device is not None and device.kind not in {"balloon", "stent"}:
            device = None
    if device is None:
        device = parse_generic(name)
        if device is None:
            known = [d.name for d in catalog.values()]
            raise UnknownNameError("device", name, known)
        return device
    update: dict[str, Any] = {}
    if length is not None:
        if length <= 0:
            raise InputError("impossible length", {"device": f"{name!r}: length must be > 0"})
        update["length_mm"] = length
        update["name"] = f"{device.name}x{_fmt_size(length)}"
    if shaft:
        if device.kind != "balloon":
            raise InputError("no shaft", {"device": f"{name!r}: only a balloon has a shaft here"})
        update["use_shaft"] = True
        update["name"] = f"{update.get('name', device.name)} shaft"
    return device.model_copy(update=update) if update else device
