"""`helpline doctor`'s checks: is this machine ready to carry the real line?

Each check gives one `Check`: what was checked and, when it fails, what to do, in French for staff.
Nothing here changes anything (the test e-mail aside, when asked for).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

import requests
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from twilio.http import HttpClient

from foundation.config import Config, Smtp
from foundation.settings import Settings
from helpline.db import make_engine, sqlite_file
from helpline.health import DatabaseState, probe_writes, state_of_error
from helpline.twilio_line import TwilioLineError, account_name, find_number, planned_webhooks, twilio_client

SECRET_KEY_LENGTH = 32
PUBLIC_URL_TIMEOUT_S = 5.0
NEW_SECRET = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


@dataclass(frozen=True)
class Check:
    """One thing checked: `problem` says what is wrong and what to do; None when it is fine."""

    label: str
    problem: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Whether nothing needs fixing."""
        return self.problem is None


def database_checks(settings: Settings) -> list[Check]:
    """The database answers, has the latest schema, and takes writes."""
    label = "Base de données"
    path = sqlite_file(settings.database_url)
    if path is not None and not path.is_file():
        return [
            Check(
                label,
                f"le fichier {path} n'existe pas : lancez 'helpline db upgrade' "
                "(ou corrigez HELPLINE_DATABASE_URL)",
            )
        ]
    engine = make_engine(settings.database_url)
    try:
        shown = make_url(settings.database_url).render_as_string(hide_password=True)
        return _database_checks(engine, label, shown)
    finally:
        engine.dispose()


def _database_checks(engine: Engine, label: str, shown: str) -> list[Check]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from helpline.migrate import alembic_config

    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except (SQLAlchemyError, OSError):
        return [
            Check(
                label,
                f"{shown} ne répond pas : vérifiez HELPLINE_DATABASE_URL (serveur démarré, nom "
                "de la base, utilisateur, mot de passe)",
            )
        ]
    checks = [Check(f"{label} joignable", detail=shown)]
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if current != head:
        found = f"au schéma {current}" if current else "vide"
        checks.append(Check(f"{label} à jour", f"la base est {found} : lancez 'helpline db upgrade'"))
        return checks
    checks.append(Check(f"{label} à jour", detail=f"schéma {head}"))
    try:
        probe_writes(engine)
    except Exception as error:  # every refusal is reported; which one is in state_of_error
        checks.append(Check(f"{label} accessible en écriture", _refusal(state_of_error(error))))
    else:
        checks.append(Check(f"{label} accessible en écriture"))
    return checks


def _refusal(state: DatabaseState) -> str:
    if state == DatabaseState.READ_ONLY:
        return (
            "la base est en lecture seule : donnez le droit d'écriture à l'utilisateur du serveur (sur le "
            "fichier et son dossier pour SQLite, 'GRANT' pour PostgreSQL)"
        )
    if state == DatabaseState.LOCKED:
        return "la base est verrouillée par un autre programme : trouvez-le et arrêtez-le, puis recommencez"
    return "la base refuse les écritures : vérifiez l'espace disque et les journaux du serveur de base"


def journal_check(settings: Settings) -> Check:
    """The emergency journal's directory takes files (or can be made where it will be)."""
    directory = settings.journal_path()
    label = "Journal de secours"
    fix = (
        f"{directory} ne peut pas recevoir de fichiers : donnez le droit d'écriture à l'utilisateur du "
        "serveur, ou choisissez un autre dossier avec HELPLINE_JOURNAL_DIR"
    )
    if directory.is_dir():
        try:
            handle, name = tempfile.mkstemp(dir=directory, prefix=".doctor-")
        except OSError:
            return Check(label, fix)
        os.close(handle)
        Path(name).unlink()
        return Check(label, detail=str(directory))
    parent = directory
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return Check(label, fix)
    return Check(label, detail=f"{directory} (créé à la première écriture)")


def secret_key_check(settings: Settings) -> Check:
    """HELPLINE_SECRET_KEY, which signs the console's sessions, is set and long enough."""
    label = "Clé secrète de la console (HELPLINE_SECRET_KEY)"
    key = settings.secret_key or ""
    if not key:
        return Check(label, f"absente : générez-en une avec  {NEW_SECRET}")
    if len(key) < SECRET_KEY_LENGTH:
        return Check(
            label,
            f"trop courte ({len(key)} caractères, il en faut au moins {SECRET_KEY_LENGTH}) : "
            f"générez-en une autre avec  {NEW_SECRET}",
        )
    return Check(label)


def public_url_checks(settings: Settings) -> list[Check]:
    """HELPLINE_PUBLIC_URL is set, in https, and its /health answers from this machine."""
    label = "Adresse publique (HELPLINE_PUBLIC_URL)"
    url = settings.public_url
    if not url:
        return [
            Check(
                label,
                "absente : donnez l'adresse https par laquelle Twilio joint ce serveur, par "
                "exemple https://ligne.example.org",
            )
        ]
    checks = [
        Check(label, detail=url)
        if url.startswith("https://")
        else Check(
            label,
            f"{url} n'est pas en https : Twilio doit joindre la ligne en https ; placez devant "
            "'helpline serve' un proxy avec un certificat (Caddy, nginx avec Let's Encrypt)",
        )
    ]
    reached = "Adresse publique joignable"
    try:
        answer = requests.get(f"{url}/health", timeout=PUBLIC_URL_TIMEOUT_S)
    except requests.RequestException:
        checks.append(
            Check(
                reached,
                f"{url}/health ne répond pas depuis cette machine : vérifiez que "
                "'helpline serve' tourne, le proxy, le nom de domaine et le pare-feu",
            )
        )
        return checks
    if answer.status_code == 200:
        checks.append(Check(reached, detail=f"{url}/health répond"))
        if url.startswith("https://"):
            checks.append(_https_seen(answer, settings))
    elif answer.status_code == 503:
        checks.append(
            Check(
                reached,
                f"{url}/health répond que la base ne va pas bien : voyez la ligne "
                "« Base de données » du serveur",
            )
        )
    else:
        checks.append(
            Check(
                reached,
                f"{url}/health répond {answer.status_code} au lieu de 200 : vérifiez que "
                "le proxy transmet les requêtes à 'helpline serve'",
            )
        )
    return checks


def _https_seen(answer: requests.Response, settings: Settings) -> Check:
    """Behind the proxy, the server knows it is on https only if it trusts the proxy's X-Forwarded-*."""
    label = "Le serveur se sait derrière le proxy"
    try:
        body = answer.json()
    except ValueError:
        body = None
    scheme = body.get("scheme") if isinstance(body, dict) else None
    if scheme == "https":
        return Check(label, detail="https et adresses des visiteurs transmis par le proxy")
    if scheme is None:
        return Check(
            label,
            f"{answer.url} ne dit pas comment le serveur voit la requête : mettez 'helpline serve' à jour "
            "(la même version que cette commande), puis relancez",
        )
    fix = (
        "mettez HELPLINE_TRUSTED_PROXIES=1 (un proxy devant 'helpline serve') dans l'environnement du serveur"
        if settings.trusted_proxies == 0
        else "le proxy doit transmettre X-Forwarded-Proto et X-Forwarded-For (voyez deploy/nginx.conf)"
    )
    return Check(
        label,
        "le serveur croit être joint en http : tous les visiteurs y ont l'adresse du proxy (la limite du "
        f"formulaire public et celle des connexions les bloqueraient ensemble), sans cookie sécurisé ; {fix}",
    )


def twilio_checks(
    settings: Settings, config: Config | None, *, http_client: HttpClient | None = None
) -> list[Check]:
    """Twilio accepts the credentials; the line's number is on the account, its webhooks pointing here."""
    label = "Compte Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)"
    try:
        client = twilio_client(settings, http_client=http_client)
        checks = [Check(label, detail=account_name(client))]
    except TwilioLineError as exc:
        return [Check(label, str(exc))]
    if config is None:
        return checks
    number = config.helpline.number
    numbered = f"Numéro de la ligne {number}"
    try:
        sid = find_number(client, number)
        if sid is None:
            checks.append(
                Check(
                    numbered,
                    "il n'est pas sur ce compte Twilio : corrigez helpline.number dans "
                    "config.yaml, ou donnez les identifiants du compte qui l'a",
                )
            )
        elif settings.public_url and settings.public_url.startswith("https://"):
            if any(hook.changes for hook in planned_webhooks(client, sid, settings.public_url)):
                checks.append(
                    Check(
                        numbered,
                        f"ses adresses d'appel ne mènent pas à {settings.public_url} : "
                        "lancez 'helpline twilio connect'",
                    )
                )
            else:
                checks.append(Check(numbered, detail=f"relié à {settings.public_url}"))
        else:
            checks.append(
                Check(numbered, detail="sur le compte (relié une fois l'adresse publique en https)")
            )
    except TwilioLineError as exc:
        checks.append(Check(numbered, str(exc)))
    return checks


def smtp_check(settings: Settings, config: Config, *, send_test: str | None = None) -> Check:
    """The mail server of reports.smtp accepts a connection (and the test message, if asked)."""
    smtp = config.reports.smtp
    label = (
        f"Courriel d'essai à {send_test} par {smtp.host}:{smtp.port}"
        if send_test
        else f"Serveur de courriel {smtp.host}:{smtp.port} (reports.smtp)"
    )
    if smtp.username and not settings.smtp_password:
        return Check(
            label,
            f"reports.smtp.username vaut « {smtp.username} » mais HELPLINE_SMTP_PASSWORD "
            "n'est pas défini : donnez-lui le mot de passe de ce compte",
        )
    if send_test and smtp.sender is None:
        return Check(label, "reports.smtp.sender est vide : donnez l'adresse d'expéditeur des rapports")
    from foundation.mail import smtp_connection

    try:
        with smtp_connection(smtp, password=settings.smtp_password) as client:
            client.noop()
            if send_test:
                client.send_message(_test_message(config, smtp, send_test))
    except smtplib.SMTPAuthenticationError:
        return Check(
            label,
            "identifiant ou mot de passe refusé : vérifiez reports.smtp.username et HELPLINE_SMTP_PASSWORD",
        )
    except smtplib.SMTPRecipientsRefused:
        return Check(label, f"le serveur refuse d'écrire à {send_test} : vérifiez l'adresse")
    except (ssl.SSLError, smtplib.SMTPNotSupportedError):
        return Check(
            label,
            "la connexion chiffrée échoue : vérifiez reports.smtp.starttls ou ssl et le port "
            "(587 avec starttls, 465 avec ssl)",
        )
    except smtplib.SMTPException:
        return Check(
            label,
            "le serveur interrompt l'échange : vérifiez reports.smtp (expéditeur accepté, "
            "identifiant) auprès de votre fournisseur de courriel",
        )
    except OSError:
        return Check(
            label,
            "serveur injoignable : vérifiez reports.smtp.host et reports.smtp.port, et que le "
            "pare-feu laisse sortir ce port",
        )
    return Check(label, detail="message remis au serveur" if send_test else "connexion acceptée")


def _test_message(config: Config, smtp: Smtp, to: str) -> EmailMessage:
    assert smtp.sender is not None  # checked by smtp_check
    message = EmailMessage()
    message["Subject"] = f"{config.helpline.name} : courriel d'essai"
    message["From"] = smtp.sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=parseaddr(smtp.sender)[1].rpartition("@")[2] or None)
    message.set_content(
        f"Bonjour,\n\nCe courriel d'essai a été envoyé par 'helpline doctor' : le {config.helpline.name} "
        "peut envoyer ses rapports mensuels par ce serveur.\n"
    )
    return message
