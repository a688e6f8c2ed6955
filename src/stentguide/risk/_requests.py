"""Typed request models of each score, built from its spec (for the API and its OpenAPI).

A score's request is ``{"inputs": {...}, "params": {...}}``. The model says exactly
what the engine accepts, so a request that matches the schema is scored:

* each input with its JSON type, unit, range or levels; all required, none extra;
* an input another equation can compute (creatinine clearance, eGFR) may be
  replaced by that equation's inputs: a second ``inputs`` shape, offered as an
  alternative (``anyOf``);
* a method parameter that changes which inputs are asked for (Mehran's
  ``renal_item``) gives one request shape per choice.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from stentguide.risk._api import derivation_sources
from stentguide.risk._catalog import get_spec
from stentguide.risk._columns import active_variables
from stentguide.risk._model import Parameter, ScoreSpec, Variable

__all__ = ["request_model"]

_FORBID = ConfigDict(extra="forbid")


def _camel(text: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _field(var: Variable) -> tuple[Any, Any]:
    extra: dict[str, Any] = {"x-unit": var.unit} if var.unit else {}
    description = var.description + (f" ({var.unit})" if var.unit else "")
    if var.type == "bool":
        return bool, Field(description=description)
    if var.type == "category":
        kind: Any = Literal[tuple(var.levels or [])]
        return kind, Field(description=description)
    number: Any = int if var.type == "int" else float
    return number, Field(
        ge=var.minimum,
        le=var.maximum,
        allow_inf_nan=False if number is float else None,
        description=description,
        json_schema_extra=extra or None,
    )


def _inputs_model(name: str, variables: list[Variable]) -> type[BaseModel]:
    fields: dict[str, Any] = {v.name: _field(v) for v in variables}
    return create_model(name, __config__=_FORBID, **fields)


def _param_field(param: Parameter, fixed: str | None) -> tuple[Any, Any]:
    if fixed is not None:
        return Literal[fixed], Field(description=param.description)
    if param.choices:
        kind: Any = Literal[tuple(param.choices)]
        return kind | None, Field(default=None, description=param.description)
    return float | None, Field(
        default=None,
        ge=param.minimum,
        le=param.maximum,
        allow_inf_nan=False,
        description=f"{param.description} (default {param.default})",
    )


def _variant(spec: ScoreSpec, chosen: dict[str, str], suffix: str) -> type[BaseModel]:
    base = _camel(spec.name) + suffix
    values: dict[str, float | str] = {p.name: p.default for p in spec.parameters}
    values.update(chosen)
    active = active_variables(spec, values)
    shapes = [_inputs_model(f"{base}Inputs", active)]
    active_names = {v.name for v in active}
    for target, source in derivation_sources(spec, values).items():
        kept = [v for v in active if v.name != target]
        added = [v for v in source.variables if v.name not in active_names]
        shapes.append(_inputs_model(f"{base}InputsComputing{_camel(target)}", kept + added))
    inputs_type: Any = shapes[0] if len(shapes) == 1 else Union[tuple(shapes)]  # noqa: UP007
    fields: dict[str, Any] = {
        "inputs": (inputs_type, Field(description="The case; see each field's unit and range."))
    }
    if spec.parameters:
        is_default = all(p.default == values[p.name] for p in spec.parameters if p.name in chosen)
        param_fields: dict[str, Any] = {
            p.name: _param_field(p, chosen.get(p.name)) for p in spec.parameters
        }
        params_model = create_model(f"{base}Params", __config__=_FORBID, **param_fields)
        if is_default:
            fields["params"] = (
                params_model | None,
                Field(default=None, description="Method choices; published defaults if absent."),
            )
        else:
            fields["params"] = (params_model, Field(description="Method choices."))
    return create_model(f"{base}Request", __config__=_FORBID, **fields)


@functools.cache
def request_model(name: str) -> Any:
    """The typed request body of score ``name`` (a model, or a union of request shapes)."""
    spec = get_spec(name)
    selectors = [
        p for p in spec.parameters if any(p.name in (v.required_when or {}) for v in spec.variables)
    ]
    if not selectors:
        return _variant(spec, {}, "")
    variants = []
    # The default choice first, so that a body without params reads as the default.
    orders = [[str(p.default)] + [c for c in p.choices or [] if c != p.default] for p in selectors]
    for combo in itertools.product(*orders):
        chosen = {p.name: c for p, c in zip(selectors, combo, strict=True)}
        variants.append(_variant(spec, chosen, "".join(_camel(c) for c in combo)))
    return Annotated[Union[tuple(variants)], Field(description=spec.title)]  # noqa: UP007
