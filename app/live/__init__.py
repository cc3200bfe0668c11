"""Live events: a partner's red, yellow and every other change reach an open app at once."""
