"""One module per restriction family, turning catalogue rules + base data into zones.

Every family builder has the signature
``build_<layer>(catalogue, base, options) -> (GeoDataFrame, list[LayerNote])``:
``catalogue`` is the :class:`~almaty_scheme.catalogue.loader.Catalogue` (each builder
picks its rules with :meth:`~almaty_scheme.catalogue.loader.Catalogue.by_kind`), ``base``
the canonical :class:`~almaty_scheme.base.model.BaseData`, ``options`` a
:class:`~almaty_scheme.restrictions.options.BuildOptions`. Builders are pure: they read
nothing from disk except the DEM named in ``base``.

Shared pieces, one concern each: :mod:`.schema` (layer names, zone columns),
:mod:`.options` (:class:`BuildOptions`), :mod:`.notes` (report notes), :mod:`.geometry`
(buffers, bands, cleaning, the boundary), :mod:`.bands` (widths to bands, feature
records, the one band loop :meth:`.bands.Features.add_bands`), :mod:`.frames` (zone
frames, clip and order), :mod:`.names` (name matching), :mod:`.text` (text helpers).
"""
