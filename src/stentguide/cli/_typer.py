"""Two adjustments to Typer, applied once when the command line starts.

1. Plain help: metavars a clinician reads (``TEXT``, ``FILE``,
   ``text|json``), never Python types. Typer shows each parameter's Python type
   (``<bool>``, ``<list[str]>``) and a required argument as ``{name}``; here a
   flag shows nothing, a choice its choices, the rest ``INTEGER``, ``NUMBER``,
   ``FILE`` or ``TEXT``, and arguments read ``NAME`` / ``[NAME]``.
2. Quick start: Typer converts every option value through a Pydantic
   ``TypeAdapter``, whose first use costs more than importing Typer itself. The
   plain types this command line uses (text, whole numbers, numbers, paths,
   choices) without ranges or file checks are converted directly; everything
   else still goes through Typer's own conversion. Errors read as Typer's do.

Both touch only methods Typer looks up on its parameter classes; when a Typer
release no longer has them, the adjustment is skipped and Typer's own
behaviour stays.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from typer import core

__all__ = ["adjust_typer", "plain_type"]

_WORDS = {"int": "INTEGER", "float": "NUMBER", "path": "FILE", "file": "FILE", "dir": "FOLDER"}


def plain_type(label: str) -> str | None:
    """``<list[str]>`` -> ``TEXT``, ``<int range>`` -> ``INTEGER``, ``<bool>`` -> nothing."""
    inner = re.sub(r"^list\[(.*)\]$", r"\1", label.strip("<>")).removesuffix(" range")
    if inner == "bool":
        return None
    if "|" in inner:
        return inner
    return _WORDS.get(inner, "TEXT")


def _option_type(self: core.TyperOption, ctx: Any) -> str | None:
    if self.metavar is not None:
        return self.metavar
    if self.is_flag:
        return None
    return plain_type(str(self.display_type(ctx)))


def _argument_type(self: core.TyperArgument, ctx: Any) -> str | None:
    return plain_type(str(self.display_type(ctx)))


def _argument_usage(self: core.TyperArgument) -> str:
    name = self.display_name_raw.upper()
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


_PLAIN = (str, int, float, bool, Path)
_PATH_DEFAULTS = {
    "exists": False,
    "file_okay": True,
    "dir_okay": True,
    "writable": False,
    "readable": True,
    "resolve_path": False,
    "allow_dash": False,
    "path_type": None,
}
_NOUN = {int: "an integer", float: "a number"}


def _plain_annotation(descriptor: Any) -> tuple[type, bool] | None:
    """(type, is a list) when the value converts directly, else None (Typer's own way)."""
    annotation = getattr(descriptor, "annotation", None)
    info = getattr(descriptor, "parameter_info", None)
    if info is None or getattr(descriptor, "file_annotation", None) is not None:
        return None
    many = get_origin(annotation) is list and len(get_args(annotation)) == 1
    if many:
        annotation = get_args(annotation)[0]
    if not isinstance(annotation, type):
        return None
    is_choice = issubclass(annotation, enum.Enum)
    if not (annotation in _PLAIN or is_choice):
        return None
    if getattr(info, "parser", None) is not None or getattr(info, "min", None) is not None:
        return None
    if getattr(info, "max", None) is not None or getattr(info, "clamp", False):
        return None
    if is_choice and getattr(info, "case_sensitive", True) is False:
        return None
    if annotation is Path and any(
        getattr(info, key, default) != default for key, default in _PATH_DEFAULTS.items()
    ):
        return None
    return annotation, many


_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def _convert(kind: type, value: Any) -> Any:
    if isinstance(value, kind):
        return value
    if kind is bool:
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(value)
    return kind(value)


def _install_quick_conversion() -> None:
    try:
        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam
    except ImportError:  # another Typer release: keep its own conversion
        return
    original = getattr(core._TyperParameter, "get_runtime_param", None)
    if original is None:
        return

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        """Converts text to str, int, float, bool, Path or an Enum member without Pydantic."""

        kind: type = str
        many: bool = False

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind = self.kind
            try:
                if self.many:
                    items = value if isinstance(value, (list, tuple)) else [value]
                    return [_convert(kind, item) for item in items]
                return _convert(kind, value)
            except (TypeError, ValueError):
                if issubclass(kind, enum.Enum):
                    choices = ", ".join(repr(m.value) for m in kind)
                    message = f"{value!r} is not one of {choices}."
                else:
                    noun = _NOUN.get(kind, "true or false" if kind is bool else "valid")
                    message = f"{value!r} is not {noun}."
                raise BadParameter(message, ctx=ctx, param=param) from None

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", None) is None:
            plain = _plain_annotation(self.type_descriptor)
            if plain is not None:
                self._runtime_param = PlainRuntimeParam(
                    parameter_info=self.type_descriptor.parameter_info,
                    annotation=self.type_descriptor.annotation,
                    kind=plain[0],
                    many=plain[1],
                )
        return original(self)

    core._TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]


def adjust_typer() -> None:
    """Apply both adjustments to this process's Typer (once)."""
    core.TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]
    core.TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
    _install_quick_conversion()
