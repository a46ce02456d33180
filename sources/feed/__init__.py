"""The feed source kind."""
