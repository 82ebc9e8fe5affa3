"""Helpers the tests share: local servers that speak other systems' APIs, process control."""
