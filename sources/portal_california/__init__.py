"""The portal-california source kind."""
