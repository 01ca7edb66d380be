"""deploy/nginx.conf for real: nginx terminating HTTPS (self-signed) in front of `helpline serve`.

The example file is rendered for test ports and certificate paths only; everything else is served as
written. Needs nginx (`apt-get install nginx`) and openssl; skipped without them, a failure under
HELPLINE_TEST_REQUIRE_NGINX=1 (CI sets it).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from twilio.request_validator import RequestValidator

from foundation.settings import Settings
from helpline.doctor import public_url_checks
from ivr.simulator.call import CallSimulator, new_sid
from ivr.simulator.transports import HttpTransport
from tests.conftest import AUTH_TOKEN, ROOT
from tests.live_server import LiveServer, free_port, helpline, live_server, server_env

REQUIRE_NGINX = os.environ.get("HELPLINE_TEST_REQUIRE_NGINX") == "1"
NGINX_EXAMPLE = ROOT / "deploy" / "nginx.conf"
HELPLINE_NUMBER = "+33261911000"
CALLER = "+33639980142"
# The test's client connects from this loopback address: the app must see it, not the proxy's 127.0.0.1.
CLIENT_ADDRESS = "127.0.0.2"
HSTS = "max-age=31536000; includeSubDomains"


def _tools() -> tuple[str, str]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    openssl = shutil.which("openssl")
    missing = [name for name, path in (("nginx", nginx), ("openssl", openssl)) if path is None]
    if missing:
        reason = f"no {' nor '.join(missing)} for the reverse proxy test: apt-get install nginx openssl"
        if REQUIRE_NGINX:
            pytest.fail(f"HELPLINE_TEST_REQUIRE_NGINX=1 but {reason}")
        pytest.skip(reason)
    assert nginx is not None
    assert openssl is not None
    return nginx, openssl


def render_site(*, http_port: int, https_port: int, app_port: int, cert: Path, key: Path) -> str:
    """deploy/nginx.conf with the test's ports and certificate: each replaced line must be in the example."""
    site = NGINX_EXAMPLE.read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/letsencrypt/live/helpline.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/helpline.example.org/privkey.pem": str(key),
        "proxy_pass http://127.0.0.1:5000;": f"proxy_pass http://127.0.0.1:{app_port};",
        "/var/log/nginx/helpline.access.log": str(cert.parent / "helpline.access.log"),
    }
    for old, new in replacements.items():
        assert site.count(old) == 1, f"deploy/nginx.conf no longer has {old!r} once: update this test"
        site = site.replace(old, new)
    return site


def _main_config(folder: Path, site: Path) -> str:
    """A whole nginx.conf around the site, everything nginx writes kept in `folder`."""
    # As root, nginx's workers would become `nobody`, who cannot enter pytest's private tmp folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "".join(
        f"    {kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    access_log {folder / 'access.log'};\n{temp}    include {site};\n}}\n"
    )


def _self_signed(openssl: str, folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@dataclass
class Proxied:
    """The app behind nginx: its public https URL, nginx's plain http URL, the certificate to trust."""

    public_url: str
    http_url: str
    cert: Path
    database: Path
    server: LiveServer


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    """`helpline serve` on a migrated SQLite file, with deploy/nginx.conf in front of it over HTTPS."""
    nginx, openssl = _tools()
    folder = tmp_path_factory.mktemp("proxy")
    cert, key = _self_signed(openssl, folder)
    http_port, https_port = free_port(), free_port()
    public_url = f"https://127.0.0.1:{https_port}"
    database = folder / "var" / "helpline.sqlite3"
    database.parent.mkdir()
    env = server_env(folder, f"sqlite:///{database}", HELPLINE_TRUSTED_PROXIES="1")
    helpline("db", "upgrade", env=env)
    with live_server(env, public_url=public_url, log_path=folder / "server.log") as server:
        site = folder / "helpline-site.conf"
        app_port = int(server.url.rsplit(":", 1)[1])
        site.write_text(
            render_site(http_port=http_port, https_port=https_port, app_port=app_port, cert=cert, key=key)
        )
        main = folder / "nginx.conf"
        main.write_text(_main_config(folder, site))
        command = [nginx, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(main)]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, f"nginx -t refused deploy/nginx.conf:\n{checked.stderr}"
        with (folder / "nginx.out").open("w") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        try:
            _wait_for_tls(public_url, cert, process, folder / "error.log")
            yield Proxied(public_url, f"http://127.0.0.1:{http_port}", cert, database, server)
        finally:
            process.terminate()
            process.wait(timeout=15)


def _wait_for_tls(url: str, cert: Path, process: subprocess.Popen[str], error_log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{error_log.read_text()}")
        try:
            requests.get(f"{url}/health", verify=str(cert), timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not answer over https within 15 s")


class _FromAddress(HTTPAdapter):
    """Connects from a given local address (any 127.x.y.z is this machine on Linux)."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """The pool's connections bind to the address."""
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


def _browser(proxied: Proxied) -> requests.Session:
    browser = requests.Session()
    # Else REQUESTS_CA_BUNDLE, when set, would win over the session's own certificate.
    browser.trust_env = False
    browser.verify = str(proxied.cert)
    browser.mount("https://", _FromAddress(CLIENT_ADDRESS))
    return browser


def test_health_answers_over_https_and_http_sends_to_https(proxied: Proxied) -> None:
    """/health answers 200 through the proxy over HTTPS; plain http is redirected to https."""
    health = requests.get(f"{proxied.public_url}/health", verify=str(proxied.cert), timeout=10)
    assert (health.status_code, health.json()["database"]) == (200, "ok")
    plain = requests.get(f"{proxied.http_url}/health", allow_redirects=False, timeout=10)
    assert (plain.status_code, plain.headers["Location"]) == (301, "https://127.0.0.1/health")


def test_doctor_sees_the_server_knows_its_proxy(proxied: Proxied, monkeypatch: pytest.MonkeyPatch) -> None:
    """`helpline doctor` on the machine, pointed at the public URL: reached, and the app saw https."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxied.cert))
    checks = public_url_checks(Settings.from_env({"HELPLINE_PUBLIC_URL": proxied.public_url}))
    assert [(check.label, check.problem, check.detail) for check in checks] == [
        ("Adresse publique (HELPLINE_PUBLIC_URL)", None, proxied.public_url),
        ("Adresse publique joignable", None, f"{proxied.public_url}/health répond"),
        (
            "Le serveur se sait derrière le proxy",
            None,
            "https et adresses des visiteurs transmis par le proxy",
        ),
    ]


def test_the_access_log_keeps_no_query_string(proxied: Proxied) -> None:
    """A console search by phone number reaches nginx's log as its path alone: the number stays out."""
    requests.get(f"{proxied.public_url}/log?phone=0639980042", verify=str(proxied.cert), timeout=10)
    log = proxied.cert.parent / "helpline.access.log"
    deadline = time.monotonic() + 5
    while "/log " not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.05)
    text = log.read_text()
    assert '"GET /log HTTP/' in text
    assert "0639980042" not in text
    assert "phone=" not in text


def test_twilio_signed_over_the_public_url_is_accepted(
    proxied: Proxied, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A webhook signed over HELPLINE_PUBLIC_URL (https, the proxy) is answered; one signed over the app's
    own http address, where the proxy forwards it, is refused."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxied.cert))
    simulator = CallSimulator(
        HttpTransport(), base_url=proxied.public_url, auth_token=AUTH_TOKEN, to=HELPLINE_NUMBER, from_=CALLER
    )
    params = simulator.base_params(new_sid("CA"), "ringing", CALLER, HELPLINE_NUMBER, "inbound")
    answer = simulator.post("/ivr/voice", params)
    assert (answer.status, answer.content_type.split(";")[0]) == (200, "text/xml")
    assert "<Response>" in answer.body
    assert "<Say" in answer.body

    backend_signature = RequestValidator(AUTH_TOKEN).compute_signature(
        f"{proxied.server.url}/ivr/voice", params
    )
    refused = requests.post(
        f"{proxied.public_url}/ivr/voice",
        data=params,
        headers={"X-Twilio-Signature": backend_signature},
        timeout=10,
    )
    assert refused.status_code == 403


def test_console_is_secure_and_sees_the_client_address(proxied: Proxied) -> None:
    """Behind the proxy the console knows it is on https (HSTS, Secure cookie, the CSRF referrer check),
    and records a failed sign-in under the client's address, not the proxy's nor a forged one."""
    browser = _browser(proxied)
    page = browser.get(f"{proxied.public_url}/login", timeout=10)
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == HSTS
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("helpline_session=")
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None

    refused = browser.post(
        f"{proxied.public_url}/login",
        data={"csrf_token": match.group(1), "username": "personne", "password": "pas-le-bon-mot-de-passe"},
        # Flask-WTF checks the Referer over https: it must match the host the proxy passed on.
        headers={"Referer": f"{proxied.public_url}/login", "X-Forwarded-For": "203.0.113.9"},
        timeout=10,
    )
    assert refused.status_code == 401, refused.text
    assert "Identifiant ou mot de passe incorrect" in refused.text
    with sqlite3.connect(proxied.database) as db:
        addresses = [row[0] for row in db.execute("SELECT remote_addr FROM login_failure")]
    assert addresses == [CLIENT_ADDRESS]
