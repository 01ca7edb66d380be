"""The voice menu: the pure menu engine and transfer plan, TwiML rendering, the webhooks and the simulator."""
