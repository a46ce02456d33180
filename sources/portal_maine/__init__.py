"""The portal-maine source kind."""
