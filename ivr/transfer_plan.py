"""Transfer planning: who the caller is put through to next, and what the log and the whisper say of it.

Pure, like the menu engine: the webhooks read the directory, write the call log and render TwiML around
these decisions. The fallback chain: the associations that offer the service in the commune, one after
the other, then the operators, then the voicemail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from call_log.codes import (
    CONNECTED_DIALS,
    Beneficiary,
    CallStatus,
    DialResult,
    EventKind,
    Outcome,
    TransferTarget,
)
from call_log.record import Place
from directory.routing import Candidate
from foundation.config import Prompts
from foundation.text import is_ascii_digits
from ivr.flow import Flow
from ivr.menu import CallState, Route, ToOperator
from ivr.places import communes_for, in_territory

# At most this many associations are tried for one call (the list travels in the signed URL).
MAX_TRIED = 10

OperatorReason = Literal[
    "asked",
    "option",
    "wrong_keys",
    "silences",
    "not_understood",
    "out_of_territory",
    "unmet",
    "associations_unavailable",
    "directory_unavailable",
]
AfterDial = Literal["connected", "caller_left", "next_association", "voicemail"]


@dataclass(frozen=True)
class JourneyEvent:
    """An event of the call's timeline to log before the transfer, with the summary fields it sets."""

    kind: str
    payload: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RingOperators:
    """Say `texts`, then ring every operator at once; `reason` goes in the transfer's log event."""

    texts: tuple[str, ...]
    reason: OperatorReason
    event: JourneyEvent | None = None


@dataclass(frozen=True)
class RingAssociation:
    """Say `text`, then ring `candidate`; `tried` lists every association rung for this call, it last."""

    candidate: Candidate
    text: str
    tried: tuple[int, ...]


Transfer = RingOperators | RingAssociation


def operators_first(
    step: Route | ToOperator, prompts: Prompts, *, tried: tuple[int, ...]
) -> RingOperators | None:
    """The operators without asking the directory (the caller asked, or lives outside), else None."""
    if isinstance(step, ToOperator):
        intro = {"wrong_keys": prompts.wrong_key, "silences": prompts.silence}.get(step.reason, "")
        return RingOperators((intro, prompts.connecting_operator), reason=step.reason)
    state = step.state
    if state.territory == "out" and not tried:
        # Associations of the directory serve the park's communes; an operator can orient the caller.
        event = JourneyEvent(
            EventKind.OUT_OF_TERRITORY, {"postal_code": state.postal_code, "departement": state.departement}
        )
        return RingOperators((prompts.out_of_territory,), reason="out_of_territory", event=event)
    return None


def next_association(
    state: CallState, prompts: Prompts, *, tried: tuple[int, ...], candidates: Sequence[Candidate]
) -> Transfer:
    """The best candidate not tried yet; else the operators, as unmet demand if there was none at all."""
    left = [candidate for candidate in candidates if candidate.association_id not in tried]
    if not left and not tried:
        event = JourneyEvent(
            EventKind.UNMET_DEMAND,
            {
                "category": state.category or "",
                "commune_insee": state.insee,
                "postal_code": state.postal_code,
            },
            summary=observatory(state) | {"outcome": Outcome.UNMET},
        )
        return RingOperators((prompts.no_association,), reason="unmet", event=event)
    if not left:
        return RingOperators((prompts.association_unavailable,), reason="associations_unavailable")
    candidate = left[0]
    intro = prompts.next_association if tried else prompts.connecting_association
    return RingAssociation(candidate, intro.format(name=candidate.name), (*tried, candidate.association_id))


def result_of_dial(dial_status: str, dial_bridged: str | None) -> str:
    """The result to store of a `<Dial>`: its DialCallStatus, or `not_accepted` if answered but not bridged.

    Twilio's `completed` says the called party answered; DialBridged says whether the caller was then put
    through to it. A screened dial answered by a voicemail, or hung up during the whisper, is `completed`
    with DialBridged=false. Without DialBridged, DialCallStatus alone says it (completed: connected).
    """
    if dial_status == DialResult.COMPLETED and dial_bridged is not None and dial_bridged.lower() != "true":
        return DialResult.NOT_ACCEPTED
    return dial_status


def after_dial(target: str, dial_status: str, call_status: str) -> AfterDial:
    """What follows a transfer: connected, the caller gone, the next association, or the voicemail."""
    if dial_status in CONNECTED_DIALS:
        return "connected"
    if call_status == CallStatus.COMPLETED:
        return "caller_left"  # the caller hung up while it rang
    if target == TransferTarget.ASSOCIATION:
        return "next_association"
    return "voicemail"


def tried_param(tried: tuple[int, ...]) -> str:
    """The associations already rung, as the action URL carries them: '3,7'."""
    return ",".join(str(association_id) for association_id in tried)


def parse_tried(param: str) -> tuple[int, ...]:
    """The associations already rung, read back from the action URL (at most MAX_TRIED)."""
    return tuple(int(part) for part in param.split(",") if is_ascii_digits(part))[:MAX_TRIED]


def observatory(state: CallState) -> dict[str, Any]:
    """The call summary's fields that the journey collected."""
    place = Place(
        commune_insee=state.insee,
        postal_code=state.postal_code,
        in_territory=in_territory(state.territory),
        departement=state.departement,
    )
    return {
        "category_code": state.category,
        **place.fields(),
        "beneficiary": state.beneficiary,
        "heard_from": state.heard_from,
        "menu_path": state.path,
    }


_FOR_WHOM: dict[str, str] = {Beneficiary.SELF: "pour lui-même", Beneficiary.RELATIVE: "pour un proche"}


def describe_request(state: CallState, flow: Flow) -> str:
    """The request in a few words for the whisper, e.g. 'Repassage et blanchissage, commune de Ciron'.

    Built from the journey's state alone, so that the whisper needs no database.
    """
    parts: list[str] = []
    if state.category:
        parts.append(flow.labels.get(state.category, state.category))
    commune = next((c for c in communes_for(state.postal_code or "") if c.insee == state.insee), None)
    if commune is not None:
        parts.append(f"commune de {commune.name}")
    elif state.territory == "out" and state.postal_code:
        parts.append(f"hors du territoire, code postal {' '.join(state.postal_code)}")
    elif state.postal_code:
        parts.append(f"code postal {' '.join(state.postal_code)}")
    if state.beneficiary:
        parts.append(_FOR_WHOM[state.beneficiary])
    return ", ".join(parts) if parts else "demande à préciser"
