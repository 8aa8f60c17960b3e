"""Build reports, check reports (HTML/PDF)."""
