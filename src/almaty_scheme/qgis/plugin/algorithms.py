"""Processing algorithms of the almaty-scheme provider: build, check, map, report.

Each algorithm assembles an ``almaty-scheme`` command line from its parameters and runs
it through :mod:`.toolkit` in the toolkit's own environment: progress lines move the
Processing bar, every other line goes to the log, Cancel kills the run. The algorithms
run in Processing's background thread, so QGIS stays responsive during long runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsMapLayer,
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsSettings,
    QgsVectorLayer,
)

from . import toolkit
from .i18n import tr
from .names import layer_title, ui_lang
from .outputs import FILE_FILTER, ResultLayers, crs_argument, normalise_out, result_layers

STYLES_DIR = Path(__file__).resolve().with_name("styles")
"""QML styles shipped in the plugin zip, for results in files that store none."""

SETTING_EXE = "ALMATY_SCHEME_EXE"
"""Processing setting (Providers > Almaty scheme) holding the executable's path."""

VERDICTS = ("prohibited", "conditional", "clear", "outside", "invalid_input")
FAIL_ON = ("", "prohibited", "conditional")


def configured_exe() -> str | None:
    """The executable set in the Processing options, if any."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig
    except ImportError:  # qgis_process without the Processing plugin's Python
        return QgsSettings().value(f"Processing/Configuration/{SETTING_EXE}", None)
    value = ProcessingConfig.getSetting(SETTING_EXE)
    return str(value) if value else None


def _advanced(param: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
    param.setFlags(param.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return param


def _help(param: QgsProcessingParameterDefinition, text: str) -> QgsProcessingParameterDefinition:
    """Set the help text (shown in the widget's tooltip); translate every text."""
    param.setDescription(tr(param.description()))
    param.setHelp(tr(text))
    if isinstance(param, QgsProcessingParameterEnum):
        param.setOptions([tr(o) for o in param.options()])
    return param


def _gpkg(
    name: str, title: str, text: str, *, optional: bool = False
) -> QgsProcessingParameterDefinition:
    """A GeoPackage file parameter with its help text."""
    return _help(QgsProcessingParameterFile(name, title, extension="gpkg", optional=optional), text)


class ToolkitAlgorithm(QgsProcessingAlgorithm):
    """Common behaviour: find the toolkit, run it with progress, log and cancel."""

    NAME = ""
    TITLE = ""
    HELP = ""

    def name(self) -> str:
        return self.NAME

    def displayName(self) -> str:
        return tr(self.TITLE)

    def group(self) -> str:
        return ""

    def groupId(self) -> str:
        return ""

    def shortHelpString(self) -> str:
        return tr(self.HELP) + "\n\n" + tr(_TOOLKIT_NOTE)

    def createInstance(self) -> ToolkitAlgorithm:
        return type(self)()

    def run_toolkit(self, args: list[str], feedback: QgsProcessingFeedback) -> str:
        """Run ``almaty-scheme ARGS``; return its stdout, raise on failure."""
        try:
            tk = toolkit.find_toolkit(configured_exe())
        except toolkit.ToolkitNotFoundError as exc:
            raise QgsProcessingException(str(exc)) from exc
        feedback.pushInfo(f"almaty-scheme found via {tk.found_by}: {tk.command[0]}")
        feedback.pushCommandInfo(" ".join(_quote(a) for a in tk.argv(args)))

        stage = {"desc": ""}

        def on_progress(frac: float | None, desc: str | None) -> None:
            if frac is not None:
                feedback.setProgress(100.0 * frac)
            if desc:
                stage["desc"] = desc
                feedback.setProgressText(desc)

        def on_tick(seconds: float) -> None:  # a long stage is still running
            if stage["desc"] and seconds >= 2:
                feedback.setProgressText(f"{stage['desc']} ({seconds:.0f} s)")

        def on_line(stream: str, line: str) -> None:
            if not line.strip():
                return
            if line.startswith("error:") or line.startswith("ERROR"):
                feedback.reportError(line)
            elif stream == "stderr":
                feedback.pushConsoleInfo(line)
            else:
                feedback.pushInfo(line)

        res = toolkit.run(
            tk,
            args,
            on_progress=on_progress,
            on_line=on_line,
            is_cancelled=feedback.isCanceled,
            on_tick=on_tick,
        )
        if res.cancelled:
            raise QgsProcessingException("Cancelled: the almaty-scheme run was stopped.")
        if res.returncode not in (0, 3):
            detail = toolkit.error_block(res.stderr) or res.stderr[-2000:]
            raise QgsProcessingException(
                f"almaty-scheme exited with code {res.returncode}:\n{detail}"
            )
        self.returncode = res.returncode
        return res.stdout


_TOOLKIT_NOTE = (
    "Runs the almaty-scheme command in its own Python environment. It is found through "
    "Settings > Options > Processing > Providers > Almaty scheme, else the environment "
    "variable ALMATY_SCHEME_EXE, else PATH."
)


def _quote(arg: str) -> str:
    return f'"{arg}"' if (" " in arg or not arg) else arg


class StyleFromFile(QgsProcessingLayerPostProcessorInterface):
    """Apply the default style stored in the layer's GeoPackage (``layer_styles``), or
    for other formats the shipped ``styles/<style>.qml``.

    Processing loads result layers without their default style; the toolkit embeds
    one (verdict colours, Russian field aliases) in every GeoPackage it writes. The
    other formats store no style, so the plugin zip carries the same QML files.
    """

    def __init__(self, style: str = "") -> None:
        super().__init__()
        self.style = style

    def postProcessLayer(
        self, layer: QgsMapLayer, context: QgsProcessingContext, feedback: QgsProcessingFeedback
    ) -> None:
        if not isinstance(layer, QgsVectorLayer):
            return
        qml = STYLES_DIR / f"{self.style}.qml"
        if self.style and qml.is_file():
            message, ok = layer.loadNamedStyle(str(qml))
        else:
            message, ok = layer.loadDefaultStyle()  # the provider's (GeoPackage's) default
        if not ok:
            feedback.pushInfo(f"{layer.name()}: no style applied ({message})")
        layer.triggerRepaint()


_POST_PROCESSORS: list[StyleFromFile] = []
"""Keeps the post-processors alive until QGIS calls them (it holds raw pointers)."""


def _load(context: QgsProcessingContext, uri: str, name: str, output: str, style: str = "") -> None:
    """Load ``uri`` into the project when the algorithm finishes, styled from the file
    (or, with ``style``, from the shipped ``styles/<style>.qml``)."""
    details = QgsProcessingContext.LayerDetails(name, context.project(), output)
    post = StyleFromFile(style)
    _POST_PROCESSORS.append(post)
    del _POST_PROCESSORS[:-32]  # a few recent runs are plenty
    details.setPostProcessor(post)
    context.addLayerToLoadOnCompletion(uri, details)


class CheckAlgorithm(ToolkitAlgorithm):
    """``almaty-scheme check``: verdicts for parcels."""

    NAME = "check"
    TITLE = "Check parcels against the scheme"
    HELP = (
        "Checks land parcels against the restriction layers of the Interregional scheme "
        "of territorial development of the Almaty agglomeration (decree No. 514). Every "
        "parcel gets a verdict (prohibited, conditional, clear, outside, invalid_input), "
        "the restrictions it overlaps, the regime for its intended use and a one-line "
        "explanation in Russian and English. Results are written to a GeoPackage "
        "(parcels, parcel_hits), GeoParquet, FlatGeobuf, GeoJSON or Shapefile, in "
        "EPSG:32643 or the output CRS you choose, and loaded into the project, styled by "
        "verdict; the summary is written to the log."
    )

    def initAlgorithm(self, config: Any = None) -> None:
        add = self.addParameter
        add(
            _help(
                QgsProcessingParameterFeatureSource(
                    "PARCELS", "Parcels", [QgsProcessing.TypeVectorPolygon]
                ),
                "Land parcels (polygons) in any CRS. Only the selected features are "
                "checked when 'Selected features only' is ticked.",
            )
        )
        add(
            _gpkg(
                "LAYERS",
                "Restriction layers (GeoPackage)",
                "The GeoPackage written by 'Build restriction layers' "
                "(almaty-scheme build), e.g. out/almaty_scheme.gpkg.",
            )
        )
        add(
            _help(
                QgsProcessingParameterField(
                    "ID_FIELD", "Parcel id field", parentLayerParameterName="PARCELS", optional=True
                ),
                "Column with the parcel id (e.g. the cadastral number). Default: parcel_id "
                "if present, else ids are generated.",
            )
        )
        add(
            _help(
                QgsProcessingParameterField(
                    "USE_FIELD",
                    "Intended use field",
                    parentLayerParameterName="PARCELS",
                    optional=True,
                ),
                "Column with the intended use: a land-use class id, a Russian name or a "
                "local code (ИЖС, КХ, СТО, ...). Without it every parcel gets the default class.",
            )
        )
        add(
            _help(
                QgsProcessingParameterFile(
                    "USE_ALIASES",
                    "Use aliases (YAML)",
                    optional=True,
                    fileFilter="YAML (*.yaml *.yml)",
                ),
                "YAML file mapping your own use codes or names to land-use class ids.",
            )
        )
        near = QgsProcessingParameterNumber(
            "NEAR",
            "Report distances to zones within (m)",
            QgsProcessingParameterNumber.Double,
            500.0,
            minValue=0.0,
        )
        add(
            _help(
                near,
                "Distance to the nearest zone of each family, up to this many metres (0: off).",
            )
        )
        add(
            _help(
                QgsProcessingParameterEnum(
                    "FAIL_ON",
                    "Fail when parcels are",
                    options=["(never fail)", "prohibited", "prohibited or conditional"],
                    defaultValue=0,
                ),
                "Make the algorithm fail (e.g. to stop a model) if any parcel is prohibited, "
                "or prohibited or conditional. The results are written in any case.",
            )
        )
        add(
            _advanced(
                _help(
                    QgsProcessingParameterCrs(
                        "ASSUME_CRS", "CRS of the parcels if undeclared", optional=True
                    ),
                    "Only for files that declare no CRS. By default the layer's CRS in QGIS is used.",
                )
            )
        )
        add(
            _advanced(
                _help(
                    QgsProcessingParameterBoolean(
                        "WITH_OVERLAP_GEOMETRY", "Store overlap polygons in parcel_hits", False
                    ),
                    "Write each parcel ∩ zone polygon (larger output).",
                )
            )
        )
        add(
            _advanced(
                _help(
                    QgsProcessingParameterBoolean("CSV", "Also write CSV tables", False),
                    "Write <output>.parcels.csv and <output>.hits.csv beside the GeoPackage.",
                )
            )
        )
        add(
            _advanced(
                _help(
                    QgsProcessingParameterFile(
                        "CATALOGUE",
                        "Rule catalogue folder",
                        behavior=QgsProcessingParameterFile.Folder,
                        optional=True,
                    ),
                    "A copy of the rule catalogue (layers/) with your readings; default: the "
                    "catalogue shipped with the toolkit.",
                )
            )
        )
        add(
            _advanced(
                _help(
                    QgsProcessingParameterCrs("DST_CRS", "Output CRS", optional=True),
                    "CRS of the written geometry (e.g. EPSG:4326 or Pulkovo-1942 EPSG:28413). "
                    "Default EPSG:32643. Areas and distances are always measured in "
                    "EPSG:32643.",
                )
            )
        )
        add(
            _help(
                QgsProcessingParameterFileDestination("OUTPUT", "Check results", FILE_FILTER),
                "Result file: GeoPackage (layers parcels and parcel_hits), GeoParquet "
                "(x.parquet and x.hits.parquet), FlatGeobuf, GeoJSON or Shapefile (the "
                "parcels; hits in x.hits.csv; a Shapefile cuts field names to 10 characters, "
                "see x.fields.csv). x.summary.json is written beside it. An existing result "
                "is replaced.",
            )
        )
        self.addOutput(QgsProcessingOutputVectorLayer("PARCELS_OUT", tr("Checked parcels")))
        self.addOutput(QgsProcessingOutputFile("SUMMARY", tr("Summary (JSON file)")))
        for v in VERDICTS:
            self.addOutput(QgsProcessingOutputNumber(v.upper(), f"Parcels {v}"))

    def processAlgorithm(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        args = self._arguments(parameters, context, feedback)
        out = args[args.index("--out") + 1]
        self.run_toolkit(args, feedback)
        files = result_layers(out, overlap_geometry="--with-overlap-geometry" in args)
        summary = _read_summary(files.summary)
        _load_results(context, feedback, files)
        counts = summary.get("by_verdict") or {}
        result: dict[str, Any] = {
            "OUTPUT": out,
            "PARCELS_OUT": files.parcels,
            "SUMMARY": files.summary,
        }
        result.update({v.upper(): int(_count(counts.get(v))) for v in VERDICTS})
        fail_on = FAIL_ON[self.parameterAsEnum(parameters, "FAIL_ON", context)]
        if self.returncode == 3 and fail_on:
            found = "Prohibited" if fail_on == "prohibited" else "Prohibited or conditional"
            raise QgsProcessingException(
                f"{found} parcels found (Fail when parcels are: {fail_on}). The results "
                f"were written to {out} but not loaded."
            )
        return result

    def _arguments(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> list[str]:
        source = self.parameterAsSource(parameters, "PARCELS", context)
        if source is None:
            raise QgsProcessingException(self.invalidSourceError(parameters, "PARCELS"))
        path, layer = self.parameterAsCompatibleSourceLayerPathAndLayerName(
            parameters,
            "PARCELS",
            context,
            ["gpkg", "shp", "geojson", "fgb", "json", "sqlite", "gml", "kml", "tab", "csv"],
            "gpkg",
            feedback,
        )
        layers = self.parameterAsFile(parameters, "LAYERS", context)
        if not layers or not Path(layers).is_file():
            raise QgsProcessingException(
                f"Restriction layers not found: {layers!r}. Build them first "
                "(Build restriction layers, or almaty-scheme build)."
            )
        out = normalise_out(self.parameterAsFileOutput(parameters, "OUTPUT", context))
        args = ["check", path, "--layers", layers, "--out", out, "--overwrite"]
        dst = self.parameterAsCrs(parameters, "DST_CRS", context)
        dst_crs = crs_argument(dst.authid(), dst.toWkt()) if dst.isValid() else None
        if dst_crs:
            args += ["--dst-crs", dst_crs]
        if layer:
            args += ["--layer", layer]
        for key, flag in (("ID_FIELD", "--id-field"), ("USE_FIELD", "--use-field")):
            value = self.parameterAsString(parameters, key, context)
            if value:
                args += [flag, value]
        for key, flag in (("USE_ALIASES", "--use-aliases"), ("CATALOGUE", "--catalogue")):
            value = self.parameterAsFile(parameters, key, context)
            if value:
                args += [flag, value]
        args += ["--near", repr(self.parameterAsDouble(parameters, "NEAR", context))]
        crs = self.parameterAsCrs(parameters, "ASSUME_CRS", context)
        if not crs.isValid():
            crs = source.sourceCrs()
        if crs.isValid():
            args += ["--assume-crs", crs.authid() or crs.toWkt()]
        fail_on = FAIL_ON[self.parameterAsEnum(parameters, "FAIL_ON", context)]
        if fail_on:
            args += ["--fail-on", fail_on]
        if self.parameterAsBool(parameters, "WITH_OVERLAP_GEOMETRY", context):
            args.append("--with-overlap-geometry")
        if self.parameterAsBool(parameters, "CSV", context):
            args.append("--csv")
        return args


def _count(value: Any) -> float:
    if isinstance(value, dict):
        return float(value.get("count", value.get("parcels", 0)) or 0)
    return float(value or 0)


def _load_results(
    context: QgsProcessingContext, feedback: QgsProcessingFeedback, files: ResultLayers
) -> None:
    """Load the parcels and hits of a check run (any output format) into the project.

    A file QGIS cannot open (GeoParquet with a GDAL built without Arrow, as in QGIS
    3.22's packages) is not loaded; the log says where it is.
    """
    lang = ui_lang()
    for uri, layer, output in (
        (files.parcels, "parcels", "PARCELS_OUT"),
        (files.hits, "parcel_hits", "HITS"),
    ):
        if not files.styled and not QgsVectorLayer(uri, layer, "ogr").isValid():
            feedback.pushInfo(
                f"{uri}: written, but this QGIS cannot open the format; open it in a QGIS "
                "whose GDAL reads it, or choose another output format."
            )
            continue
        _load(context, uri, layer_title(layer, lang), output, "" if files.styled else layer)


def _read_summary(path: str) -> dict[str, Any]:
    try:
        return dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


class BuildAlgorithm(ToolkitAlgorithm):
    """``almaty-scheme build``: the restriction-layer GeoPackage."""

    NAME = "build"
    TITLE = "Build restriction layers"
    HELP = (
        "Builds the GeoPackage of restriction layers of the scheme (EPSG:32643): road "
        "corridors, railway, power-line, gas and water zones, forest and elevation belts, "
        "industrial and functional zones, each feature with its rule, width, citation, "
        "source and accuracy. A build report (.report.md/.json) is written beside it. "
        "The main layers are loaded into the project, styled."
    )
    LOADED = ("functional_zones", "boundary")

    def initAlgorithm(self, config: Any = None) -> None:
        add = self.addParameter
        add(
            _help(
                QgsProcessingParameterFile(
                    "DATA",
                    "Reference data folder",
                    behavior=QgsProcessingParameterFile.Folder,
                    optional=True,
                ),
                "Folder of the reference open data (almaty-scheme data fetch). Default: the "
                "toolkit's default (../shared/data or $ALMATY_SCHEME_DATA).",
            )
        )
        add(
            _gpkg(
                "BASE",
                "Base layers (GeoPackage)",
                "Your own base layers named like the canonical ones (e.g. from "
                "almaty-scheme import-osm); they win over the reference data.",
                optional=True,
            )
        )
        add(
            _help(
                QgsProcessingParameterEnum(
                    "RANGE_POLICY",
                    "Ranged widths",
                    options=[
                        "each rule's default",
                        "both (min certain + band to max possible)",
                        "min only",
                        "max only",
                    ],
                    defaultValue=0,
                ),
                "How widths given as a range in the scheme (e.g. 55-110 m) are drawn.",
            )
        )
        add(
            _advanced(
                _help(
                    QgsProcessingParameterFile(
                        "CATALOGUE",
                        "Rule catalogue folder",
                        behavior=QgsProcessingParameterFile.Folder,
                        optional=True,
                    ),
                    "A copy of the rule catalogue (layers/) with your readings.",
                )
            )
        )
        add(
            _help(
                QgsProcessingParameterFileDestination(
                    "OUTPUT", "Restriction layers", "GeoPackage (*.gpkg)"
                ),
                "The GeoPackage to write; an existing file is replaced.",
            )
        )

    def processAlgorithm(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        if Path(out).suffix.lower() != ".gpkg":
            out = str(Path(out).with_suffix(".gpkg"))
        args = ["build", "--out", out, "--overwrite"]
        for key, flag in (("DATA", "--data"), ("BASE", "--base"), ("CATALOGUE", "--catalogue")):
            value = self.parameterAsFile(parameters, key, context)
            if value:
                args += [flag, value]
        policy = [None, "both", "min", "max"][
            self.parameterAsEnum(parameters, "RANGE_POLICY", context)
        ]
        if policy:
            args += ["--range-policy", policy]
        self.run_toolkit(args, feedback)
        lang = ui_lang()
        for layer in self.LOADED:
            _load(context, f"{out}|layername={layer}", layer_title(layer, lang), layer)
        return {"OUTPUT": out}


class MapAlgorithm(ToolkitAlgorithm):
    """``almaty-scheme map``: a publication map (PNG/PDF)."""

    NAME = "map"
    TITLE = "Render a map (PNG/PDF)"
    HELP = (
        "Renders a publication map with legend, scale bar, north arrow and attribution: "
        "the restriction layers, or, with check results, the parcels by verdict."
    )

    def initAlgorithm(self, config: Any = None) -> None:
        self.addParameter(
            _gpkg(
                "LAYERS",
                "Restriction layers (GeoPackage)",
                "The GeoPackage written by 'Build restriction layers'.",
            )
        )
        self.addParameter(
            _gpkg(
                "RESULTS",
                "Check results (GeoPackage)",
                "Draw these parcels by verdict instead of the overview.",
                optional=True,
            )
        )
        self.addParameter(
            _help(
                QgsProcessingParameterEnum(
                    "LANG", "Language", options=["Русский", "English"], defaultValue=0
                ),
                "Language of the title and the legend.",
            )
        )
        self.addParameter(
            _help(
                QgsProcessingParameterFileDestination("OUTPUT", "Map", "PNG (*.png);;PDF (*.pdf)"),
                "Map file to write (.png or .pdf).",
            )
        )

    def processAlgorithm(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        lang = ["ru", "en"][self.parameterAsEnum(parameters, "LANG", context)]
        args = ["map", "--layers", self.parameterAsFile(parameters, "LAYERS", context)]
        results = self.parameterAsFile(parameters, "RESULTS", context)
        if results:
            args += ["--results", results]
        self.run_toolkit([*args, "--out", out, "--lang", lang, "--overwrite"], feedback)
        return {"OUTPUT": out}


class ReportAlgorithm(ToolkitAlgorithm):
    """``almaty-scheme report``: HTML (and PDF) report of check results."""

    NAME = "report"
    TITLE = "Write a check report (HTML/PDF)"
    HELP = (
        "Writes a self-contained HTML report of check results: tables by verdict and "
        "restriction, the overview map, and a page per prohibited parcel."
    )

    def initAlgorithm(self, config: Any = None) -> None:
        self.addParameter(
            _gpkg(
                "RESULTS",
                "Check results (GeoPackage)",
                "The GeoPackage written by 'Check parcels against the scheme'.",
            )
        )
        self.addParameter(
            _gpkg(
                "LAYERS",
                "Restriction layers (GeoPackage)",
                "The built GeoPackage, to draw the zones on the maps.",
                optional=True,
            )
        )
        self.addParameter(
            _help(
                QgsProcessingParameterNumber(
                    "MAX_PARCELS",
                    "Pages for at most N prohibited parcels",
                    QgsProcessingParameterNumber.Integer,
                    50,
                    minValue=0,
                ),
                "The remaining prohibited parcels are counted, not drawn.",
            )
        )
        self.addParameter(
            _help(
                QgsProcessingParameterFileDestination("OUTPUT", "Report", "HTML (*.html)"),
                "HTML file to write (works offline).",
            )
        )
        self.addParameter(
            _help(
                QgsProcessingParameterFileDestination(
                    "PDF", "Report as PDF", "PDF (*.pdf)", optional=True, createByDefault=False
                ),
                "Also write the report as a PDF.",
            )
        )

    def processAlgorithm(
        self,
        parameters: dict[str, Any],
        context: QgsProcessingContext,
        feedback: QgsProcessingFeedback,
    ) -> dict[str, Any]:
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        args = ["report", self.parameterAsFile(parameters, "RESULTS", context), "--out", out]
        layers = self.parameterAsFile(parameters, "LAYERS", context)
        if layers:
            args += ["--layers", layers]
        pdf = self.parameterAsFileOutput(parameters, "PDF", context)
        if pdf:
            args += ["--pdf", pdf]
        n = self.parameterAsInt(parameters, "MAX_PARCELS", context)
        self.run_toolkit([*args, "--max-parcels", str(n), "--overwrite"], feedback)
        return {"OUTPUT": out, "PDF": pdf or None}


ALGORITHMS = (BuildAlgorithm, CheckAlgorithm, MapAlgorithm, ReportAlgorithm)
