"""The ransomware-live source kind."""
