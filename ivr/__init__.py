"""The voice menu: Twilio webhooks, the pure menu engine, TwiML rendering and the call simulator."""
