"""What a step shows (key messages, preconditions, device checks) and what a case may declare.

:class:`Step` is the current step as the faces show it; the checks here are pure
functions of the step and the case as known, used by the session engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from stentguide.devices import DeviceCheck, check_requirement, get_device
from stentguide.errors import InputError, InvalidAnswerError, StentguideError
from stentguide.protocols.model import ActionNode, AssessNode, FactValue, OutcomeNode, Protocol
from stentguide.protocols.record import AnsweredData

__all__ = [
    "PreconditionStatus",
    "Step",
    "answer_data",
    "device_checks",
    "precondition_statuses",
    "validate_devices",
    "validate_facts",
]


class PreconditionStatus(BaseModel):
    """Whether a step's assumption holds for the case as known so far."""

    model_config = ConfigDict(frozen=True)

    fact: str
    expected: FactValue
    actual: FactValue | None
    status: Literal["met", "unmet", "undeclared"]
    message: str


@dataclass(frozen=True)
class Step:
    """The current step as a face shows it."""

    node: AssessNode | ActionNode | OutcomeNode
    key_messages: list[tuple[str, str, bool]]
    preconditions: list[PreconditionStatus]
    device_checks: list[DeviceCheck]
    known_messages: frozenset[str] = frozenset()
    """Key messages of this step already acknowledged at an earlier step (shown collapsed)."""

    @property
    def new_messages(self) -> list[str]:
        """Key messages shown in full: neither acknowledged here nor at an earlier step."""
        known = self.known_messages
        return [k for k, _, acked in self.key_messages if not acked and k not in known]

    @property
    def is_outcome(self) -> bool:
        return isinstance(self.node, OutcomeNode)


def precondition_statuses(
    node: AssessNode | ActionNode | OutcomeNode, facts: Mapping[str, FactValue]
) -> list[PreconditionStatus]:
    if isinstance(node, OutcomeNode):
        return []
    result = []
    for pre in node.preconditions:
        actual = facts.get(pre.fact)
        status: Literal["met", "unmet", "undeclared"] = (
            "undeclared" if actual is None else "met" if actual == pre.equals else "unmet"
        )
        result.append(
            PreconditionStatus(
                fact=pre.fact,
                expected=pre.equals,
                actual=actual,
                status=status,
                message=pre.message,
            )
        )
    return result


def device_checks(
    node: AssessNode | ActionNode | OutcomeNode, devices: Mapping[str, str]
) -> list[DeviceCheck]:
    if not isinstance(node, ActionNode):
        return []
    return [check_requirement(req, devices) for req in node.device_requirements]


def validate_devices(devices: Mapping[str, str]) -> None:
    problems: dict[str, str] = {}
    for role, name in devices.items():
        try:
            get_device(name)
        except StentguideError as exc:
            problems[f"devices.{role}"] = str(exc)
    if problems:
        raise InputError("the case declares devices that cannot be used", problems)


def validate_facts(protocol: Protocol, facts: Mapping[str, FactValue]) -> None:
    problems: dict[str, str] = {}
    for name, value in facts.items():
        spec = protocol.facts.get(name)
        if spec is None:
            problems[f"facts.{name}"] = protocol.not_a_fact(name)
        elif not spec.accepts(value):
            problems[f"facts.{name}"] = f"expected {spec.type}, got {value!r}"
    if problems:
        raise InputError("the case declares facts the protocol does not know", problems)


def answer_data(
    node: AssessNode | ActionNode, answer: str | float, facts: Mapping[str, FactValue]
) -> AnsweredData:
    """The payload of an answer to ``node``, or an :class:`InvalidAnswerError` saying why not.

    A number must be inside the question's plausible range; an answer must be one of
    the step's and must not contradict what the run already knows (``only_if``).
    """
    if node.number is not None:
        question = node.number
        try:
            value = float(answer)
        except (TypeError, ValueError):
            raise InvalidAnswerError(
                f"node {node.id!r} expects a number in {question.unit}, got {answer!r}"
            ) from None
        if not question.minimum <= value <= question.maximum:
            raise InvalidAnswerError(
                f"node {node.id!r}: {value:g} {question.unit} is outside the plausible range "
                f"{question.minimum:g}-{question.maximum:g} {question.unit}"
            )
        branch = next(b for b in question.branches if b.contains(value))
        return AnsweredData(
            answer=branch.id, label=branch.label, value=value, unit=question.unit
        )
    for option in node.answers:
        if option.id == answer:
            contradicted = option.contradicted_by(facts)
            if contradicted:
                given = ", ".join(f"{f}={facts[f]!r}" for f in contradicted)
                raise InvalidAnswerError(
                    f"node {node.id!r}: answer {answer!r} does not fit what the run "
                    f"already knows ({given})"
                )
            return AnsweredData(answer=option.id, label=option.label)
    valid = ", ".join(a.id for a in node.answers)
    raise InvalidAnswerError(
        f"node {node.id!r} has no answer {answer!r}; expected one of: {valid}"
    )
