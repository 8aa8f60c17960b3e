"""The parcel compliance engine."""
