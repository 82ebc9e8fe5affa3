"""Patient-information assistant for interventional radiology departments."""
