"""The shared model below every layer: settings and paths, source definitions, the records
passed between stages, the raw store, and the one home of each shared concept (names,
gazetteers, countries, the incident-type vocabulary, the data-dir lock)."""

__version__ = "0.1.0"
