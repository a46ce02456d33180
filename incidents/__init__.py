"""incident-tracker: public reporting of cyber incidents, turned into a queryable dataset."""

__version__ = "0.1.0"
