"""The contenders of bench/webhooks.py besides `helpline serve`, under `helpline serve`'s gunicorn settings.

    python bench/webhooks_apps.py bare --port 8001             # a constant <Response/>
    python bench/webhooks_apps.py twiml --port 8002            # Flask + twilio VoiceResponse Gather/Say
    python bench/webhooks_apps.py helpline --port 8003 --probe # the helpline, each answer with its costs

The server is helpline/server.py's own (`run`, with its workers, threads, timeout and access log), only
the app it loads differs: whatever that file's settings become, every contender gets them.
`--probe` wraps the app so that each answer carries, in headers, the worker's CPU time, SQL statements and
new database connections while it was made: for requests sent one at a time (the counts are per process).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from sqlalchemy import Engine, event
from sqlalchemy.pool import Pool
from twilio.twiml.voice_response import VoiceResponse

import helpline.server
from helpline.startup import settings_and_config

CPU_HEADER, SQL_HEADER, CONNECT_HEADER = "X-Bench-Cpu-Us", "X-Bench-Sql", "X-Bench-Connects"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def bare() -> Flask:
    """A Flask app answering an empty TwiML document to every POST: the floor of HTTP, gunicorn and Flask."""
    app = Flask("bare")

    @app.post("/<path:path>")
    def constant(path: str) -> Response:
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response/>', mimetype="text/xml")

    return app


def twiml() -> Flask:
    """A Flask app building a menu like ours with twilio's VoiceResponse: Gather with two Say, per request."""
    app = Flask("twiml")

    @app.post("/<path:path>")
    def menu(path: str) -> Response:
        response = VoiceResponse()
        gather = response.gather(action="/ivr/menu?node=&wrong=0&silent=0", timeout=6, num_digits=1)
        for text in (
            "Bonjour, ici le 1001 services.",
            "Ménage, repassage, tapez 1.",
            "Un conseiller, tapez 0.",
        ):
            gather.say(text, voice="Polly.Lea-Neural", language="fr-FR")
        response.redirect("/ivr/menu?timeout=1&node=&wrong=0&silent=0")
        return Response(str(response), mimetype="text/xml")

    return app


class Probe:
    """WSGI middleware: each answer's headers say the process's CPU time, statements and connections."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self.statements = 0
        self.connects = 0
        # On the classes: every engine and pool the app makes, whichever thread (the gate's) runs the SQL.
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Pool, "connect", self._connect)

    def _statement(self, *_args: object) -> None:
        self.statements += 1

    def _connect(self, *_args: object) -> None:
        self.connects += 1

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        cpu, statements, connects = time.process_time(), self.statements, self.connects

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            costs = [
                (CPU_HEADER, str(round((time.process_time() - cpu) * 1e6))),
                (SQL_HEADER, str(self.statements - statements)),
                (CONNECT_HEADER, str(self.connects - connects)),
            ]
            return start_response(status, [*headers, *costs], exc_info)

        return self.app(environ, start)


def main() -> None:
    """Serve one contender with helpline/server.py's gunicorn settings until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("contender", choices=["bare", "twiml", "helpline"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--probe", action="store_true", help="add each answer's costs in its headers")
    options = parser.parse_args()
    settings, config = settings_and_config()

    class Contender(helpline.server.HelplineServer):
        def load(self) -> Any:  # a WSGI app: gunicorn takes the probe as well as Flask
            if options.contender == "helpline":
                from helpline.app import create_app

                app: Flask = create_app(self.settings, config=self.helpline_config)
            else:
                app = bare() if options.contender == "bare" else twiml()
            return Probe(app.wsgi_app) if options.probe else app

    # `run` builds the server it names with its own options: this one loads the contender instead.
    helpline.server.HelplineServer = Contender  # type: ignore[misc]
    helpline.server.run(settings, config, host="127.0.0.1", port=options.port, workers=options.workers)


if __name__ == "__main__":
    main()
