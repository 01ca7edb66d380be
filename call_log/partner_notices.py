"""Telling associations of their referrals: a notice for each new one, one reminder when it has no contact.

Every referral, from the voice menu, the console or any other channel, is a `Referral` row: the job reads
those rows after they are committed, so notices leave from one place whatever made the referral (a write
replayed from the journal included), and never from the thread answering a call. Each message is a
`ReferralNotice` row inserted before sending: its unique (referral, purpose, channel) is the claim, so with
several processes each message goes once. The row then says how it went, for staff.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from email.message import EmailMessage
from typing import Protocol

import phonenumbers
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from call_log.codes import Beneficiary, NoticeChannel, NoticePurpose, NoticeResult
from call_log.follow_up import overdue_condition
from call_log.models import Referral, ReferralNotice
from call_log.privacy import mask_numbers
from call_log.working_time import WorkingCalendar
from directory.models import Association, Commune, ServiceCategory
from foundation.clock import Clock
from foundation.db import transaction
from foundation.reasons import DeliveryError

logger = logging.getLogger(__name__)

# Referrals older than this when the job first sees them get no notice: an upgrade does not send one for
# every referral of the past, and a referral replayed late from the journal still gets its own.
NOTICE_WINDOW = timedelta(days=3)
# Referrals checked per run and purpose: a burst is sent over the next runs.
BATCH = 100
# A message claimed this long ago and still not settled was being sent by a process that stopped.
INTERRUPTED_AFTER = timedelta(minutes=15)
INTERRUPTED = (
    "Envoi interrompu (le serveur s'est arrêté pendant l'envoi) : il n'est pas renvoyé ; "
    "prévenez l'association."
)

UNEXPLAINED = "échec de l'envoi : le journal du serveur dit pourquoi"


class TextSender(Protocol):
    """Something that sends a text message and returns its id (`ivr.sms.TwilioSms`)."""

    def send(self, *, to: str, body: str) -> str:
        """Send `body` to `to` (E.164)."""
        ...


MailSender = Callable[[EmailMessage], None]


@dataclass(frozen=True)
class Notice:
    """What a message says about a referral, in French."""

    subject: str
    text: str


def _written(number: str) -> str:
    try:
        return str(
            phonenumbers.format_number(
                phonenumbers.parse(number, "FR"), phonenumbers.PhoneNumberFormat.NATIONAL
            )
        )
    except phonenumbers.NumberParseException:
        return number


def describe(session: Session, referral: Referral, *, tz: tzinfo) -> dict[str, str]:
    """The request in a few words: service, commune, for whom, date, and the contact only with consent."""
    call = referral.call
    category = session.get(ServiceCategory, referral.category_code) if referral.category_code else None
    commune = session.get(Commune, call.commune_insee) if call.commune_insee else None
    if commune is not None:
        place = commune.name
    elif call.in_territory is False and call.departement:
        place = f"hors du territoire ({call.departement})"
    else:
        place = "commune non précisée"
    beneficiary = Beneficiary.label_of(call.beneficiary) if call.beneficiary else "non précisé"
    if referral.contact_consent and referral.contact_number:
        contact = f"{_written(referral.contact_number)} (la personne accepte que vous la rappeliez)"
    else:
        contact = "non transmis (la personne n'a pas donné son accord)"
    return {
        "service": category.label if category is not None else "service non précisé",
        "commune": place,
        "beneficiary": beneficiary,
        "date": referral.created_at.astimezone(tz).strftime("%d/%m/%Y à %H:%M"),
        "contact": contact,
    }


def notice_of(facts: dict[str, str], *, purpose: str, link: str, channel: str) -> Notice:
    """The message of a notice or a reminder; a text keeps to a few lines."""
    request = f"{facts['service']}, {facts['commune']}, {facts['beneficiary'].lower()}"
    if purpose == NoticePurpose.REMINDER:
        subject = f"1001 services : relance pour l'orientation du {facts['date']}"
        lines = [
            f"1001 services : l'orientation du {facts['date']} ({request}) est encore sans contact.",
            f"Où en est-elle ? {link}",
        ]
    else:
        subject = f"1001 services : nouvelle orientation ({facts['service']}, {facts['commune']})"
        lines = [
            f"1001 services vous oriente une personne : {request}, le {facts['date']}.",
            f"Numéro : {facts['contact']}.",
            f"Dites-nous la suite : {link}",
        ]
    if channel == NoticeChannel.EMAIL:
        lines += [
            "",
            "Le lien ouvre une page sans mot de passe où indiquer : personne contactée, devis envoyé, "
            "prestation commencée ou pas de suite donnée. Il est personnel : ne le transférez pas.",
            "",
            "Le 1001 services",
        ]
    return Notice(subject, "\n".join(lines))


def _destinations(association: Association | None) -> list[tuple[str, str]]:
    if association is None:
        return []
    found = []
    if association.notify_sms.strip():
        found.append((NoticeChannel.SMS.value, association.notify_sms.strip()))
    if association.notify_email.strip():
        found.append((NoticeChannel.EMAIL.value, association.notify_email.strip()))
    return found


def claim(
    session: Session, referral: Referral, *, purpose: str, channel: str, to: str, now: datetime
) -> ReferralNotice | None:
    """Take the sending of one message, or None if a process has it already; the caller commits at once."""
    try:
        with session.begin_nested():
            row = ReferralNotice(
                referral_id=referral.id, purpose=purpose, channel=channel, to=to, created_at=now, error=""
            )
            session.add(row)
        return row
    except IntegrityError:
        return None


@dataclass(frozen=True)
class PartnerNoticeJob:
    """Sends what is due: notices of new referrals, then reminders of those still without contact.

    `link_for` gives a referral's personal link; `texts` and `mail` are the transports (None: channel off).
    """

    sessions: sessionmaker[Session]
    clock: Clock
    calendar: WorkingCalendar
    tz: tzinfo
    link_for: Callable[[int], str]
    texts: TextSender | None
    mail: MailSender | None
    sender: str = ""

    def run(self) -> int:
        """Send every message due now; how many were sent."""
        self._settle_interrupted()
        return self._send(NoticePurpose.NOTICE) + self._send(NoticePurpose.REMINDER)

    def _settle_interrupted(self) -> None:
        """Messages claimed long ago and never settled (the process stopped while sending): failed.

        Whether the association got one cannot be known, and a message goes at most once: it is not sent
        again, and staff see that it may not have arrived.
        """
        with transaction(self.sessions) as session:
            session.execute(
                update(ReferralNotice)
                .where(
                    ReferralNotice.result == NoticeResult.SENDING,
                    ReferralNotice.created_at < self.clock() - INTERRUPTED_AFTER,
                )
                .values(result=NoticeResult.FAILED, error=INTERRUPTED)
            )

    def _due(self, session: Session, purpose: str) -> list[Referral]:
        now = self.clock()
        query = (
            select(Referral)
            .join(Association, Referral.association_id == Association.id)
            .where((Association.notify_sms != "") | (Association.notify_email != ""))
            .options(joinedload(Referral.association), joinedload(Referral.call))
        )
        if purpose == NoticePurpose.NOTICE:
            query = query.where(Referral.created_at >= now - NOTICE_WINDOW)
        else:
            # Only referrals the association was told of: the reminder follows a notice.
            noticed = select(ReferralNotice.referral_id).where(
                ReferralNotice.purpose == NoticePurpose.NOTICE, ReferralNotice.result == NoticeResult.SENT
            )
            query = query.where(*overdue_condition(now, self.calendar), Referral.id.in_(noticed))
        done = select(ReferralNotice.referral_id).where(ReferralNotice.purpose == purpose)
        query = query.where(Referral.id.not_in(done)).order_by(Referral.created_at, Referral.id).limit(BATCH)
        return list(session.scalars(query).unique())

    def _send(self, purpose: str) -> int:
        sent = 0
        with self.sessions() as session:
            due = [referral.id for referral in self._due(session, purpose)]
        for referral_id in due:
            for claimed, notice in self._claim(referral_id, purpose):
                sent += self._deliver(claimed, notice)
        return sent

    def _claim(self, referral_id: int, purpose: str) -> list[tuple[int, tuple[str, str, Notice]]]:
        """Claim the referral's messages (one per channel), with what each says."""
        claimed = []
        with transaction(self.sessions) as session:
            referral = session.get_one(Referral, referral_id)
            facts = describe(session, referral, tz=self.tz)
            link = self.link_for(referral.id)
            for channel, to in _destinations(referral.association):
                if (channel == NoticeChannel.SMS and self.texts is None) or (
                    channel == NoticeChannel.EMAIL and self.mail is None
                ):
                    continue
                row = claim(session, referral, purpose=purpose, channel=channel, to=to, now=self.clock())
                if row is not None:
                    session.flush()
                    notice = notice_of(facts, purpose=purpose, link=link, channel=channel)
                    claimed.append((row.id, (channel, to, notice)))
        return claimed

    def _deliver(self, notice_id: int, message: tuple[str, str, Notice]) -> int:
        """Send one claimed message and record how it went; a failure is kept, never raised."""
        channel, to, notice = message
        error = ""
        try:
            if channel == NoticeChannel.SMS and self.texts is not None:
                self.texts.send(to=to, body=notice.text)
            elif self.mail is not None:
                email = EmailMessage()
                email["Subject"], email["From"], email["To"] = notice.subject, self.sender, to
                email.set_content(notice.text)
                self.mail(email)
        except Exception as exc:
            logger.exception("Could not send a %s to an association", channel)
            # Staff read why in French; anything else's words (English, a stack) stay in the log.
            said = str(exc) if isinstance(exc, DeliveryError) else ""
            error = mask_numbers(said)[:300] or UNEXPLAINED
        with transaction(self.sessions) as session:
            row = session.get_one(ReferralNotice, notice_id)
            row.result = NoticeResult.FAILED if error else NoticeResult.SENT
            row.sent_at, row.error = self.clock(), error
        return 0 if error else 1
