"""Plays Twilio's role in a voice call: signs webhooks, checks and executes the TwiML the app answers.

Used by the tests (through Flask's test client) and by the terminal command (over HTTP, with a person
typing the keys). It follows Twilio's documented behaviour closely enough that a call which works here
works on Twilio, and it fails loudly where Twilio would play its "application error" message.

`call` places calls (signed requests, Twilio's parameters), `run` executes their TwiML verb by verb,
`twiml` checks each document as Twilio would, `callers` are who answers (a script, a person at the
terminal, a dialled party hearing a whisper) and `transports` deliver the requests (Flask's test client,
HTTP). It shares no definition with the app it calls, so that it stays an independent witness of Twilio's
behaviour.
"""
