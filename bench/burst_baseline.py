"""The baseline of bench/burst.py: a bare Flask app answering one constant TwiML document to every POST."""

from __future__ import annotations

from flask import Flask, Response

TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Bonjour.</Say><Hangup/></Response>'

app = Flask(__name__)


@app.post("/<path:path>")
def constant(path: str) -> Response:
    """The same document, whatever was asked."""
    return Response(TWIML, mimetype="text/xml")
