"""Renderers: every output format is a function of a ``compliance.findings.Report``."""
