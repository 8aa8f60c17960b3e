"""Canonical base data: model, reference data, boundary, settlements, alignments, DEM."""
