"""The sec-edgar source kind."""
