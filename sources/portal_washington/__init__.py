"""The portal-washington source kind."""
