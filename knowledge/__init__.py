"""Curated procedure texts: parsing, validation, index building and retrieval."""
