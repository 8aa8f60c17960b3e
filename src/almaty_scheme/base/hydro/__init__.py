"""Rivers derived from a DEM when no river vector data exists (issue 7).

The scheme sets water-protection zones for named rivers (L592-617: Bolshaya Almatinka,
Turgen, Aksai, Ashchibulak, Uzynkargaly, Shamalgan, Belbulak) and defaults for the rest
(L623-632), but the open data has only the Ili. This module derives a drainage network
from a DEM, names its streams from anchors (``layers/hydro_anchors.yaml``), and labels
every feature ``derived from DEM <res>`` so that zones built on it carry that accuracy.

Method (:func:`route` then :func:`derive_rivers`)
-------------------------------------------------
1. **Grid.** The DEM is routed on its own grid, never resampled or smoothed (for the
   GEBCO 2023 clip: 15" cells, about 337 m E-W x 463 m N-S at 43.5 N). Only the
   ``barnes`` option measures slopes; it uses the cell's metric width and height at the
   window's central latitude (the E-W size varies by +-1.4 % across 42.9-44.1 N), not
   raw degrees, which would treat 337 m and 463 m as equal.
2. **Water bodies are sinks.** Cells whose centre lies in a water-body polygon are set
   below the DEM's minimum and seeded as outlets, with the DEM's edge cells, for
   priority-flood depression filling (``pyflwdir.dem.fill_depressions``, Wang & Liu
   2006). Streams therefore end at the shoreline (and are cut there). A flat reservoir
   surface (Kapchagay: 474 m in GEBCO, its rim 1-4 m higher all round) would otherwise
   be routed to whichever edge cell is lowest, which in this window is the Ili's
   *inflow* at the east edge.
3. **Flats and D8.** Filling and D8 are one priority flood (Wang & Liu 2006, in
   ``pyflwdir``): each cell drains to the neighbour from which the flood reached it,
   i.e. its lowest neighbour on slopes, and on flats (int16 GEBCO has many) towards the
   flat's outlet along the flood's order, which gives straight, parallel paths. The
   alternative ``flats="barnes"`` resolves flats by Barnes et al. (2014) gradients and
   takes steepest-descent D8 with metric distances (``pysheds`` ``resolve_flats`` and
   ``flowdir``); on the GEBCO window it ran 4x slower (pysheds compiles its numba
   kernels on every import, ~7 s CPU) and named a worse Ili (see the report), so it
   is not the default. A water body's outflow is breached through sills the coarse
   DEM leaves in the gorge below its outlet (:func:`_breach_outlet`).
4. **Accumulation in km2.** Each cell's true area on the WGS 84 ellipsoid (per row, by
   ``pyproj.Geod``: 0.1545 km2 at 44.1 N to 0.1575 km2 at 42.9 N) is accumulated
   downstream with ``pyflwdir`` ``accuflux``. A water body's total inflow re-enters
   the network at its outlet (``outlets`` in the anchors file: the Kapchagay dam), so
   the Ili below the dam carries the whole reservoir catchment inside the window.
5. **Streams** are cells with upstream area >= ``threshold_km2`` outside water bodies;
   Strahler order by ``pyflwdir``. Segments run between confluences and name changes
   and join cell centres (D8 staircase kept; nothing finer than the DEM is invented);
   a segment flowing into a water body is cut at its shoreline.
6. **Names** (:func:`name_network`): anchors snap to the nearest stream cell with
   enough upstream area within their ``snap_m``; a river's name runs downstream from
   its anchors until it loses a confluence and upstream from its anchors along the
   branch with the largest upstream area to the channel head.

Libraries: ``pyflwdir`` (Deltares) fills, routes, accumulates and orders streams.
Its functions that pass an ``affine.Affine`` into numba (``path``, ``stream_distance``,
``dem.slope``) fail with affine 3 (pyflwdir issue #108, fixed upstream, unreleased) and
are not used. ``pysheds`` 0.5 serves only the ``barnes`` option; its ``accumulation``
uses ``np.in1d``, removed in numpy 2.4 (pysheds issue #312), and is not used.

The derived Ili is compared with the WDBII Ili by :func:`compare_with_reference`.

Modules: :mod:`~almaty_scheme.base.hydro.flow` (steps 1-4), :mod:`~almaty_scheme.base.hydro.naming`
(step 6), :mod:`~almaty_scheme.base.hydro.streams` (step 5 and :func:`derive_rivers`),
:mod:`~almaty_scheme.base.hydro.merge` (real rivers by name, comparison with a reference),
:mod:`~almaty_scheme.base.hydro.anchors` (loading and checking ``layers/hydro_anchors.yaml``).
"""

from __future__ import annotations

from almaty_scheme.base.hydro.anchors import ANCHORS_FILE, load_anchors, verify_anchor_quotes
from almaty_scheme.base.hydro.flow import (
    D8_DIRMAP,
    DEFAULT_THRESHOLD_KM2,
    FlowModel,
    cell_areas_km2,
    route,
)
from almaty_scheme.base.hydro.merge import (
    ILI_NAMES,
    compare_with_reference,
    dem_footprint,
    ili_offset,
    merge_rivers,
    river_key,
    sample_points,
)
from almaty_scheme.base.hydro.naming import ResolvedAnchor, name_network, resolve_anchors
from almaty_scheme.base.hydro.streams import (
    DEFAULT_CLIP_BUFFER_M,
    EXTRA_COLUMNS,
    derive_rivers,
    stream_segments,
)

__all__ = [
    "ANCHORS_FILE",
    "D8_DIRMAP",
    "DEFAULT_CLIP_BUFFER_M",
    "DEFAULT_THRESHOLD_KM2",
    "EXTRA_COLUMNS",
    "ILI_NAMES",
    "FlowModel",
    "ResolvedAnchor",
    "cell_areas_km2",
    "compare_with_reference",
    "dem_footprint",
    "derive_rivers",
    "ili_offset",
    "load_anchors",
    "merge_rivers",
    "name_network",
    "resolve_anchors",
    "river_key",
    "route",
    "sample_points",
    "stream_segments",
    "verify_anchor_quotes",
]
