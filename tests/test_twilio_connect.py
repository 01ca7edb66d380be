"""`helpline twilio connect`: the line's number is pointed at this server through Twilio's REST API."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from helpline.cli import main
from tests.conftest import EXAMPLE_CONFIG
from tests.twilio_stub import ACCOUNT_SID, AUTH_TOKEN, TwilioStub

NUMBER = "+33261911000"  # helpline.number of the example config
PUBLIC_URL = "https://ligne.example.org"
OLD_VOICE = "https://demo.twilio.com/welcome/voice/"


def connect(stub: TwilioStub, tmp_path: Path, *args: str, **env: str) -> Result:
    """Run `helpline twilio connect ARGS` against the stub, with credentials and a public URL by default."""
    environment = {
        "HELPLINE_CONFIG": str(EXAMPLE_CONFIG),
        "HELPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'helpline.sqlite3'}",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "HELPLINE_PUBLIC_URL": PUBLIC_URL,
    } | env
    return CliRunner().invoke(
        main, ["twilio", "connect", *args], env=environment, obj={"twilio_http_client": stub}
    )


@pytest.fixture
def stub() -> TwilioStub:
    """An account holding the line's number, still on Twilio's demo answer, and another number."""
    twilio = TwilioStub()
    twilio.add_number("+33261919999", voice_url="https://elsewhere.example.org/voice")
    twilio.add_number(NUMBER, voice_url=OLD_VOICE, voice_method="GET")
    return twilio


def test_connect_sets_the_three_webhooks_with_post(stub: TwilioStub, tmp_path: Path) -> None:
    """The number gets /ivr/voice, /ivr/fallback and /ivr/status under the public URL, each with POST."""
    result = connect(stub, tmp_path)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Numéro +33261911000 du compte Twilio « Ligne 1001 services » :",
        f"  Adresse des appels : {OLD_VOICE}  ->  {PUBLIC_URL}/ivr/voice",
        f"  Adresse de secours : (vide)  ->  {PUBLIC_URL}/ivr/fallback",
        f"  Adresse des statuts d'appel : (vide)  ->  {PUBLIC_URL}/ivr/status",
        f"Le numéro +33261911000 appelle maintenant {PUBLIC_URL}/ivr/voice (méthode POST).",
    ]
    [posted] = stub.posted()
    sid = stub.numbers[NUMBER]["sid"]
    assert posted.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers/{sid}.json"
    assert posted.data == {
        "VoiceUrl": f"{PUBLIC_URL}/ivr/voice",
        "VoiceMethod": "POST",
        "VoiceFallbackUrl": f"{PUBLIC_URL}/ivr/fallback",
        "VoiceFallbackMethod": "POST",
        "StatusCallback": f"{PUBLIC_URL}/ivr/status",
        "StatusCallbackMethod": "POST",
    }
    assert stub.numbers["+33261919999"]["voice_url"] == "https://elsewhere.example.org/voice"

    again = connect(stub, tmp_path, "--dry-run")
    assert f"  Adresse des appels : {PUBLIC_URL}/ivr/voice (inchangé)" in again.output.splitlines()


def test_dry_run_shows_the_changes_and_posts_nothing(stub: TwilioStub, tmp_path: Path) -> None:
    """--dry-run lists what would change, sends no change to Twilio, and says so."""
    result = connect(stub, tmp_path, "--dry-run")

    assert result.exit_code == 0, result.output
    assert f"  Adresse des appels : {OLD_VOICE}  ->  {PUBLIC_URL}/ivr/voice" in result.output.splitlines()
    assert result.output.splitlines()[-1] == "Essai (--dry-run) : rien n'a été changé chez Twilio."
    assert stub.posted() == []
    assert stub.numbers[NUMBER]["voice_url"] == OLD_VOICE


def test_a_number_missing_from_the_account_is_reported(stub: TwilioStub, tmp_path: Path) -> None:
    """--number names a number the account does not have: nothing changes, the message says what to check."""
    result = connect(stub, tmp_path, "--number", "+33261912345")

    assert result.exit_code == 1
    assert result.output == (
        "helpline: le numéro +33261912345 n'est pas sur le compte Twilio « Ligne 1001 services » : "
        "vérifiez helpline.number dans config.yaml (ou --number) et les identifiants du compte\n"
    )
    assert stub.posted() == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"HELPLINE_PUBLIC_URL": "http://ligne.example.org"},
            "helpline: HELPLINE_PUBLIC_URL doit être l'adresse https de ce serveur (par exemple "
            "https://ligne.example.org) : Twilio n'appelle la ligne qu'en https\n",
        ),
        (
            {"HELPLINE_PUBLIC_URL": ""},
            "helpline: HELPLINE_PUBLIC_URL doit être l'adresse https de ce serveur (par exemple "
            "https://ligne.example.org) : Twilio n'appelle la ligne qu'en https\n",
        ),
        (
            {"TWILIO_ACCOUNT_SID": ""},
            "helpline: TWILIO_ACCOUNT_SID manquant : recopiez l'identifiant du compte (AC…) et le jeton "
            "d'authentification depuis la page d'accueil de la console Twilio\n",
        ),
        (
            {"TWILIO_AUTH_TOKEN": "not-the-token"},
            "helpline: Twilio refuse l'identifiant ou le jeton : recopiez TWILIO_ACCOUNT_SID et "
            "TWILIO_AUTH_TOKEN depuis la console Twilio (un jeton régénéré remplace l'ancien)\n",
        ),
        (
            {"--number": "0261911000"},
            "helpline: --number : « 0261911000 » n'est pas un numéro international comme +33261911000\n",
        ),
    ],
)
def test_connect_refuses_clearly(stub: TwilioStub, tmp_path: Path, env: dict[str, str], message: str) -> None:
    """Without an https public URL, the credentials, or a valid number: one French line, nothing posted."""
    args = ["--number", env.pop("--number")] if "--number" in env else []
    result = connect(stub, tmp_path, *args, **env)

    assert result.exit_code == 1
    assert result.output == message
    assert stub.posted() == []
