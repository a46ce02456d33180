"""The bundled offline sample web: rendering it from content files and serving it on loopback."""
