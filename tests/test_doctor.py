"""`helpline doctor`: one line per check, what to do for each that fails, exit code 1 while any does."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import Engine, make_url

from helpline.cli import main
from tests.conftest import EXAMPLE_CONFIG
from tests.report_mail import SENDER, Mailbox
from tests.test_deploy_proxy import _self_signed as self_signed
from tests.test_deploy_proxy import _tools as proxy_tools
from tests.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, TwilioStub

SECRET = "s" * 40
NUMBER = "+33261911000"


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[str]:
    """A plain-http server on 127.0.0.1 whose /health answers 200, as `helpline serve` behind no proxy."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def config_with_smtp(tmp_path: Path, port: int, **smtp: Any) -> Path:
    """The example config.yaml whose reports go through 127.0.0.1:`port`."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["reports"] = {"smtp": {"host": "127.0.0.1", "port": port, "sender": SENDER, "timeout_s": 5} | smtp}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def stub() -> TwilioStub:
    """The Twilio account, holding the line's number."""
    twilio = TwilioStub()
    twilio.add_number(NUMBER)
    return twilio


def doctor(stub: TwilioStub, *args: str, **env: str) -> Result:
    """Run `helpline doctor ARGS` with `env` (TWILIO_* of the stub unless given) against the stub."""
    environment = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HELPLINE_SECRET_KEY": SECRET,
        "HELPLINE_PUBLIC_URL": "",
    } | env
    return CliRunner().invoke(main, ["doctor", *args], env=environment, obj={"twilio_http_client": stub})


def test_a_ready_machine_is_ok_except_plain_http(
    engine: Engine, database_url: str, tmp_path: Path, mailbox: Mailbox, stub: TwilioStub, health_server: str
) -> None:
    """Everything in place but a public URL in http: every line OK, the https one says what to do."""
    config = config_with_smtp(tmp_path, mailbox.port)
    result = doctor(
        stub,
        HELPLINE_CONFIG=str(config),
        HELPLINE_DATABASE_URL=database_url,
        HELPLINE_JOURNAL_DIR=str(tmp_path / "journal"),
        HELPLINE_PUBLIC_URL=health_server,
    )

    lines = result.output.splitlines()
    assert result.exit_code == 1, result.output
    shown = make_url(database_url).render_as_string(hide_password=True)
    assert lines[:4] == [
        f"OK          Configuration : {config}",
        f"OK          Base de données joignable : {shown}",
        lines[2],
        "OK          Base de données accessible en écriture",
    ]
    assert lines[2].startswith("OK          Base de données à jour : schéma ")
    assert lines[4:] == [
        f"OK          Journal de secours : {tmp_path / 'journal'} (créé à la première écriture)",
        "OK          Clé secrète de la console (HELPLINE_SECRET_KEY)",
        f"À corriger  Adresse publique (HELPLINE_PUBLIC_URL) : {health_server} n'est pas en https : Twilio "
        "doit joindre la ligne en https ; placez devant 'helpline serve' un proxy avec un certificat (Caddy, "
        "nginx avec Let's Encrypt)",
        f"OK          Adresse publique joignable : {health_server}/health répond",
        "OK          Compte Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) : Ligne 1001 services",
        f"OK          Numéro de la ligne {NUMBER} : sur le compte "
        "(relié une fois l'adresse publique en https)",
        f"OK          Serveur de courriel 127.0.0.1:{mailbox.port} (reports.smtp) : connexion acceptée",
        "1 point(s) à corriger avant d'ouvrir la vraie ligne.",
    ]
    assert mailbox.messages == []


def test_every_broken_piece_is_reported_with_its_fix(tmp_path: Path, stub: TwilioStub) -> None:
    """No database file, a journal under a file, a short key, an unreachable URL, a wrong token, no SMTP."""
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    port = closed_port()
    result = doctor(
        stub,
        HELPLINE_CONFIG=str(config_with_smtp(tmp_path, port)),
        HELPLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'absent.sqlite3'}",
        HELPLINE_JOURNAL_DIR=str(tmp_path / "a-file" / "journal"),
        HELPLINE_SECRET_KEY="short",
        HELPLINE_PUBLIC_URL=f"https://127.0.0.1:{closed_port()}",
        TWILIO_AUTH_TOKEN="wrong",
    )

    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("À corriger")]
    url = "https://127.0.0.1:"
    assert problems == [
        f"À corriger  Base de données : le fichier {tmp_path / 'absent.sqlite3'} n'existe pas : lancez "
        "'helpline db upgrade' (ou corrigez HELPLINE_DATABASE_URL)",
        f"À corriger  Journal de secours : {tmp_path / 'a-file' / 'journal'} ne peut pas recevoir de "
        "fichiers : donnez le droit d'écriture à l'utilisateur du serveur, ou choisissez un autre dossier "
        "avec HELPLINE_JOURNAL_DIR",
        "À corriger  Clé secrète de la console (HELPLINE_SECRET_KEY) : trop courte (5 caractères, il en faut "
        "au moins 32) : générez-en une autre avec  "
        "python3 -c 'import secrets; print(secrets.token_hex(32))'",
        problems[3],
        "À corriger  Compte Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) : Twilio refuse l'identifiant "
        "ou le jeton : recopiez TWILIO_ACCOUNT_SID et TWILIO_AUTH_TOKEN depuis la console Twilio (un jeton "
        "régénéré remplace l'ancien)",
        f"À corriger  Serveur de courriel 127.0.0.1:{port} (reports.smtp) : serveur injoignable : vérifiez "
        "reports.smtp.host et reports.smtp.port, et que le pare-feu laisse sortir ce port",
    ]
    assert problems[3].startswith(f"À corriger  Adresse publique joignable : {url}")
    assert problems[3].endswith(
        "/health ne répond pas depuis cette machine : vérifiez que 'helpline serve' tourne, le proxy, le nom "
        "de domaine et le pare-feu"
    )
    assert result.output.splitlines()[-1] == "6 point(s) à corriger avant d'ouvrir la vraie ligne."


def test_a_database_not_migrated_is_told_to_upgrade(database_url: str, stub: TwilioStub) -> None:
    """An empty database answers but has no schema: 'helpline db upgrade'."""
    from helpline.db import make_engine

    make_engine(database_url, create=True).dispose()
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).touch()
    result = doctor(stub, HELPLINE_CONFIG=str(EXAMPLE_CONFIG), HELPLINE_DATABASE_URL=database_url)

    assert "À corriger  Base de données à jour : la base est vide : lancez 'helpline db upgrade'" in (
        result.output.splitlines()
    )
    assert "accessible en écriture" not in result.output
    assert result.exit_code == 1


def test_a_bad_config_is_shown_and_the_rest_still_checked(tmp_path: Path, stub: TwilioStub) -> None:
    """config.yaml with a bad key: its French error lines, then the checks that do not need it."""
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["helpline"]["number"] = "not a number"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = doctor(stub, HELPLINE_CONFIG=str(config))

    lines = result.output.splitlines()
    assert lines[0] == f"À corriger  Configuration : {config} n'est pas valide :"
    assert lines[1].startswith("              helpline.number")
    assert "OK          Compte Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) : Ligne 1001 services" in lines
    assert not any("Numéro de la ligne" in line or "courriel" in line for line in lines)
    assert result.exit_code == 1


def test_send_test_delivers_a_message(
    engine: Engine, database_url: str, tmp_path: Path, mailbox: Mailbox, stub: TwilioStub
) -> None:
    """--send-test ADDRESS: the message reaches the SMTP server, addressed as asked, in French."""
    result = doctor(
        stub,
        "--send-test",
        "equipe@example.org",
        HELPLINE_CONFIG=str(config_with_smtp(tmp_path, mailbox.port)),
        HELPLINE_DATABASE_URL=database_url,
    )

    line = f"OK          Courriel d'essai à equipe@example.org par 127.0.0.1:{mailbox.port} : message remis"
    assert f"{line} au serveur" in result.output.splitlines()
    [received] = mailbox.wait(1)
    assert received.rcpt_tos == ["equipe@example.org"]
    assert received.message["Subject"] == "1001 services : courriel d'essai"
    assert "'helpline doctor'" in received.message.get_content()


def test_a_number_not_pointing_here_asks_for_connect(tmp_path: Path, stub: TwilioStub) -> None:
    """With an https public URL, a number whose webhooks go elsewhere: 'helpline twilio connect'."""
    result = doctor(
        stub, HELPLINE_CONFIG=str(EXAMPLE_CONFIG), HELPLINE_PUBLIC_URL="https://ligne.example.org"
    )

    assert (
        f"À corriger  Numéro de la ligne {NUMBER} : ses adresses d'appel ne mènent pas à "
        "https://ligne.example.org : lancez 'helpline twilio connect'"
    ) in result.output.splitlines()
    assert result.exit_code == 1


@pytest.fixture
def https_health_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[str]:
    """/health over https (a self-signed certificate this test trusts), answering as an app that saw http:
    a proxy in front of a server that does not trust it."""
    _, openssl = proxy_tools()
    cert, key = self_signed(openssl, tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), getattr(request, "param", _HealthSeenInHttp))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _HealthSeenInHttp(_Health):
    body = b'{"status": "ok", "database": "ok", "scheme": "http"}'

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.body)


class _HealthOfAnOlderServer(_HealthSeenInHttp):
    body = b'{"status": "ok", "database": "ok"}'


@pytest.mark.parametrize(
    ("trusted", "fix"),
    [
        (
            "0",
            "mettez HELPLINE_TRUSTED_PROXIES=1 (un proxy devant 'helpline serve') dans l'environnement du "
            "serveur",
        ),
        ("1", "le proxy doit transmettre X-Forwarded-Proto et X-Forwarded-For (voyez deploy/nginx.conf)"),
    ],
)
def test_a_server_that_does_not_trust_its_proxy_is_told_how(
    tmp_path: Path, stub: TwilioStub, https_health_server: str, trusted: str, fix: str
) -> None:
    """Behind a proxy the app does not trust, every visitor would share the proxy's address."""
    result = doctor(stub, HELPLINE_PUBLIC_URL=https_health_server, HELPLINE_TRUSTED_PROXIES=trusted)
    lines = result.output.splitlines()
    assert f"OK          Adresse publique (HELPLINE_PUBLIC_URL) : {https_health_server}" in lines
    assert f"OK          Adresse publique joignable : {https_health_server}/health répond" in lines
    assert (
        "À corriger  Le serveur se sait derrière le proxy : le serveur croit être joint en http : tous les "
        "visiteurs y ont l'adresse du proxy (la limite du formulaire public et celle des connexions les "
        f"bloqueraient ensemble), sans cookie sécurisé ; {fix}"
    ) in lines


@pytest.mark.parametrize("https_health_server", [_HealthOfAnOlderServer], indirect=True)
def test_a_server_that_does_not_say_its_scheme_is_to_update(
    stub: TwilioStub, https_health_server: str
) -> None:
    """A server older than this command says nothing of the scheme it saw: doctor cannot tell, and says so."""
    lines = doctor(stub, HELPLINE_PUBLIC_URL=https_health_server).output.splitlines()
    assert (
        f"À corriger  Le serveur se sait derrière le proxy : {https_health_server}/health ne dit pas comment "
        "le serveur voit la requête : mettez 'helpline serve' à jour (la même version que cette commande), "
        "puis relancez"
    ) in lines
