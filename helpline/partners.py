"""Wiring of the partners' notices: the links' secret, the text and mail transports, the job's schedule."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from twilio.http import HttpClient

from call_log.partner_link import PartnerLinks
from call_log.partner_notices import MailSender, PartnerNoticeJob, TextSender
from call_log.working_time import WorkingCalendar
from foundation.mail import send_message
from foundation.runtime import Runtime
from ivr.sms import TwilioSms

logger = logging.getLogger(__name__)

JOB_ID = "partner-notices"
# Notices leave within this of the referral; reminders are checked as often.
EVERY_S = 60
LINK_PATH = "/suivi/"


def partner_links(rt: Runtime, secret: str) -> PartnerLinks:
    """The links' signer: the app's secret (HELPLINE_SECRET_KEY), the helpline's clock, partners.link_days."""
    return PartnerLinks(secret, rt.clock, timedelta(days=rt.config.partners.link_days))


def partner_notice_job(
    rt: Runtime, secret: str, *, http_client: HttpClient | None = None, mail: MailSender | None = None
) -> PartnerNoticeJob:
    """The job with the transports the environment allows: texts with the Twilio credentials, e-mails with
    `reports.smtp.sender`. `http_client` is the Twilio REST client's transport; tests plug a stub in."""
    settings, config = rt.settings, rt.config
    texts: TextSender | None = None
    if settings.twilio_account_sid and settings.twilio_auth_token:
        texts = TwilioSms(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            from_=config.helpline.number,
            http_client=http_client,
        )
    smtp = config.reports.smtp
    if mail is None and smtp.sender is not None:

        def mail(message: EmailMessage) -> None:
            send_message(message, smtp, password=settings.smtp_password)

    if not settings.public_url:
        logger.warning("HELPLINE_PUBLIC_URL is not set: the links sent to associations will not open.")
    links = partner_links(rt, secret)
    base = (settings.public_url or "") + LINK_PATH
    return PartnerNoticeJob(
        sessions=rt.sessions,
        clock=rt.clock,
        calendar=WorkingCalendar.working_days(config.helpline.tz),
        tz=config.helpline.tz,
        link_for=lambda referral_id: base + links.token(referral_id),
        texts=texts,
        mail=mail,
        sender=str(smtp.sender or ""),
    )


def start_partner_notices(job: PartnerNoticeJob) -> BackgroundScheduler:
    """Send what is due every minute; a failed round waits for the next one."""

    def round_() -> None:
        try:
            job.run()
        except Exception:
            logger.exception("The partners' notices round failed; the next round tries again")

    scheduler = BackgroundScheduler()
    scheduler.add_job(
        round_,
        IntervalTrigger(seconds=EVERY_S),
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now().astimezone(),
    )
    scheduler.start()
    return scheduler
