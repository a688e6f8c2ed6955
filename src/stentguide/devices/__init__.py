"""Device catalogue and compatibility arithmetic.

Look devices up (:func:`get_device`, :func:`list_devices`), ask what diameter a
balloon or stent system reaches at a pressure (:func:`balloon_diameter_at`),
whether devices pass side by side through a guide (:func:`check_fit`), which
snare fits (:func:`choose_snare`), how far a stent may be post-dilated
(:func:`max_post_dilatation`), and check a pathway step's device requirement
against a case's declared devices (:func:`check_requirement`).

Canonical units are millimetres and atmospheres; :mod:`stentguide.devices.units`
parses and shows inches, French sizes, kPa and bar at the edges.
"""

from __future__ import annotations

from stentguide.devices.catalog import DEVICE_KINDS, get_device, list_devices
from stentguide.devices.compliance import (
    Inflation,
    PostDilatation,
    balloon_diameter_at,
    max_post_dilatation,
)
from stentguide.devices.fit import (
    FitItem,
    FitResult,
    SnareChoice,
    SnareOption,
    check_fit,
    choose_snare,
)
from stentguide.devices.model import Device, Figure
from stentguide.devices.requirement import DeviceCheck, DeviceRequirement, check_requirement
from stentguide.devices.units import format_length, format_pressure, parse_length, parse_pressure

__all__ = [
    "DEVICE_KINDS",
    "Device",
    "DeviceCheck",
    "DeviceRequirement",
    "Figure",
    "FitItem",
    "FitResult",
    "Inflation",
    "PostDilatation",
    "SnareChoice",
    "SnareOption",
    "balloon_diameter_at",
    "check_fit",
    "check_requirement",
    "choose_snare",
    "format_length",
    "format_pressure",
    "get_device",
    "list_devices",
    "max_post_dilatation",
    "parse_length",
    "parse_pressure",
]
