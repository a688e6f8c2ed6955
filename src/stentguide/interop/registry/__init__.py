"""Registry cases as FHIR Bundles, out and back in.

One ``collection`` Bundle per case; an export file is a ``collection`` Bundle whose
entries are the registry's CodeSystem and the case Bundles. Each field goes where
``knowledge/interop/registry-map.yaml`` says (the mapping table of
``docs/interop.md``; :mod:`~stentguide.interop.registry.mapping`). The export is
:mod:`~stentguide.interop.registry.export`, the all-or-nothing import
:mod:`~stentguide.interop.registry.importing`.
"""

from stentguide.interop.registry.export import case_to_bundle, export_fhir
from stentguide.interop.registry.importing import case_from_bundle, import_fhir
from stentguide.interop.registry.mapping import (
    CASE_SYSTEM,
    REGISTRY_SYSTEM,
    MapField,
    RegistryMap,
    registry_code_system,
    registry_map,
)

__all__ = [
    "CASE_SYSTEM",
    "REGISTRY_SYSTEM",
    "MapField",
    "RegistryMap",
    "case_from_bundle",
    "case_to_bundle",
    "export_fhir",
    "import_fhir",
    "registry_code_system",
    "registry_map",
]
