"""Helpers the tests share: services, a live server, STIX objects. Imported as ``support.<module>``."""
