"""Interoperability: protocols as FHIR R4 (R4B models) resources."""

from stentguide.interop.fhir import protocol_to_plan_definition

__all__ = ["protocol_to_plan_definition"]
