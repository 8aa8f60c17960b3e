"""Russian texts of the plugin's interface (algorithm names, parameters, help).

The code writes English; :func:`tr` returns the Russian text when QGIS runs in Russian
or Kazakh (:func:`.names.ui_lang`). A unit test checks that every text the algorithms
show has a translation here.
"""

from __future__ import annotations

from .names import ui_lang

RU: dict[str, str] = {
    # algorithms
    "Check parcels against the scheme": "Проверка участков по схеме",
    "Build restriction layers": "Построение слоёв ограничений",
    "Render a map (PNG/PDF)": "Карта (PNG/PDF)",
    "Write a check report (HTML/PDF)": "Отчёт о проверке (HTML/PDF)",
    "Runs the almaty-scheme command in its own Python environment. It is found through "
    "Settings > Options > Processing > Providers > Almaty scheme, else the environment "
    "variable ALMATY_SCHEME_EXE, else PATH.": "Запускает команду almaty-scheme в её "
    "собственном окружении Python. Путь к ней берётся из Настройки > Параметры > "
    "Обработка > Провайдеры > Almaty scheme, иначе из переменной окружения "
    "ALMATY_SCHEME_EXE, иначе из PATH.",
    "Checks land parcels against the restriction layers of the Interregional scheme of "
    "territorial development of the Almaty agglomeration (decree No. 514). Every parcel "
    "gets a verdict (prohibited, conditional, clear, outside, invalid_input), the "
    "restrictions it overlaps, the regime for its intended use and a one-line explanation "
    "in Russian and English. Results are written to a GeoPackage (parcels, parcel_hits), "
    "GeoParquet, FlatGeobuf, GeoJSON or Shapefile, in EPSG:32643 or the output CRS you "
    "choose, and loaded into the project, styled by verdict; the summary is written to the "
    "log.": (
        "Проверяет земельные участки по слоям ограничений Межрегиональной схемы "
        "территориального развития Алматинской агломерации (постановление № 514). Каждый "
        "участок получает заключение (запрещено, условно, ограничений нет, вне границ, "
        "ошибка входных данных), перечень пересекаемых ограничений, режим для его целевого "
        "назначения и объяснение на русском и английском. Результаты записываются в "
        "GeoPackage (parcels, parcel_hits), GeoParquet, FlatGeobuf, GeoJSON или Shapefile, "
        "в EPSG:32643 или в выбранной выходной системе координат, и добавляются в проект "
        "со стилем по заключению; сводка выводится в журнал."
    ),
    "Builds the GeoPackage of restriction layers of the scheme (EPSG:32643): road "
    "corridors, railway, power-line, gas and water zones, forest and elevation belts, "
    "industrial and functional zones, each feature with its rule, width, citation, source "
    "and accuracy. A build report (.report.md/.json) is written beside it. The main layers "
    "are loaded into the project, styled.": (
        "Строит GeoPackage слоёв ограничений схемы (EPSG:32643): коридоры дорог, зоны "
        "железных дорог, ЛЭП, газопроводов и водных объектов, лесные и высотные пояса, "
        "производственные и функциональные зоны; у каждого объекта указаны правило, "
        "ширина, ссылка на документ, источник и точность. Рядом записывается отчёт "
        "(.report.md/.json). Основные слои добавляются в проект со стилями."
    ),
    "Renders a publication map with legend, scale bar, north arrow and attribution: the "
    "restriction layers, or, with check results, the parcels by verdict.": (
        "Готовая карта с легендой, масштабной линейкой, стрелкой севера и источниками "
        "данных: слои ограничений или, с результатами проверки, участки по заключениям."
    ),
    "Writes a self-contained HTML report of check results: tables by verdict and "
    "restriction, the overview map, and a page per prohibited parcel.": (
        "Автономный HTML-отчёт о проверке: таблицы по заключениям и ограничениям, обзорная "
        "карта и страница на каждый участок с запретом."
    ),
    # parameters and outputs
    "Parcels": "Участки",
    "Land parcels (polygons) in any CRS. Only the selected features are checked when "
    "'Selected features only' is ticked.": "Земельные участки (полигоны) в любой системе "
    "координат. При отметке «Только выбранные объекты» проверяются только они.",
    "Restriction layers (GeoPackage)": "Слои ограничений (GeoPackage)",
    "The GeoPackage written by 'Build restriction layers' (almaty-scheme build), e.g. "
    "out/almaty_scheme.gpkg.": "GeoPackage, построенный алгоритмом «Построение слоёв "
    "ограничений» (almaty-scheme build), например out/almaty_scheme.gpkg.",
    "Parcel id field": "Поле идентификатора участка",
    "Column with the parcel id (e.g. the cadastral number). Default: parcel_id if "
    "present, else ids are generated.": "Поле с идентификатором участка (например, "
    "кадастровым номером). По умолчанию parcel_id, если есть, иначе номера создаются.",
    "Intended use field": "Поле целевого назначения",
    "Column with the intended use: a land-use class id, a Russian name or a local code "
    "(ИЖС, КХ, СТО, ...). Without it every parcel gets the default class.": "Поле с "
    "целевым назначением: код класса, русское название или местный код (ИЖС, КХ, СТО, "
    "...). Без него всем участкам назначается класс по умолчанию.",
    "Use aliases (YAML)": "Синонимы назначений (YAML)",
    "YAML file mapping your own use codes or names to land-use class ids.": "YAML-файл, "
    "сопоставляющий ваши коды или названия назначений классам землепользования.",
    "Report distances to zones within (m)": "Расстояния до зон в пределах (м)",
    "Distance to the nearest zone of each family, up to this many metres (0: off).": (
        "Расстояние до ближайшей зоны каждого вида, не дальше указанного числа метров "
        "(0 — не считать)."
    ),
    "Fail when parcels are": "Завершить с ошибкой, если участки",
    "(never fail)": "(не завершать с ошибкой)",
    "prohibited": "запрещены",
    "prohibited or conditional": "запрещены или условны",
    "Make the algorithm fail (e.g. to stop a model) if any parcel is prohibited, or "
    "prohibited or conditional. The results are written in any case.": "Завершить "
    "алгоритм с ошибкой (например, чтобы остановить модель), если есть запрещённые или "
    "запрещённые и условные участки. Результаты записываются в любом случае.",
    "CRS of the parcels if undeclared": "Система координат участков, если не указана",
    "Only for files that declare no CRS. By default the layer's CRS in QGIS is used.": (
        "Только для файлов без системы координат. По умолчанию берётся система координат "
        "слоя в QGIS."
    ),
    "Store overlap polygons in parcel_hits": "Сохранить полигоны пересечений в parcel_hits",
    "Write each parcel ∩ zone polygon (larger output).": "Записать полигон каждого "
    "пересечения участка с зоной (файл будет больше).",
    "Also write CSV tables": "Записать также таблицы CSV",
    "Write <output>.parcels.csv and <output>.hits.csv beside the GeoPackage.": "Записать "
    "<результат>.parcels.csv и <результат>.hits.csv рядом с GeoPackage.",
    "Rule catalogue folder": "Папка каталога правил",
    "A copy of the rule catalogue (layers/) with your readings; default: the catalogue "
    "shipped with the toolkit.": "Копия каталога правил (layers/) с вашими прочтениями; по "
    "умолчанию — каталог, поставляемый с инструментом.",
    "A copy of the rule catalogue (layers/) with your readings.": "Копия каталога правил "
    "(layers/) с вашими прочтениями.",
    "Check results": "Результаты проверки",
    "Result file: GeoPackage (layers parcels and parcel_hits), GeoParquet (x.parquet and "
    "x.hits.parquet), FlatGeobuf, GeoJSON or Shapefile (the parcels; hits in x.hits.csv; a "
    "Shapefile cuts field names to 10 characters, see x.fields.csv). x.summary.json is "
    "written beside it. An existing result is replaced.": "Файл результатов: GeoPackage "
    "(слои parcels и parcel_hits), GeoParquet (x.parquet и x.hits.parquet), FlatGeobuf, "
    "GeoJSON или Shapefile (участки; пересечения в x.hits.csv; в Shapefile имена полей "
    "обрезаются до 10 символов, см. x.fields.csv). Рядом записывается x.summary.json. "
    "Существующие результаты заменяются.",
    "Output CRS": "Выходная система координат",
    "CRS of the written geometry (e.g. EPSG:4326 or Pulkovo-1942 EPSG:28413). Default "
    "EPSG:32643. Areas and distances are always measured in EPSG:32643.": "Система "
    "координат записываемой геометрии (например, EPSG:4326 или Пулково-1942 EPSG:28413). "
    "По умолчанию EPSG:32643. Площади и расстояния всегда измеряются в EPSG:32643.",
    "Checked parcels": "Проверенные участки",
    "Summary (JSON file)": "Сводка (файл JSON)",
    "Reference data folder": "Папка исходных данных",
    "Folder of the reference open data (almaty-scheme data fetch). Default: the toolkit's "
    "default (../shared/data or $ALMATY_SCHEME_DATA).": "Папка открытых исходных данных "
    "(almaty-scheme data fetch). По умолчанию — папка инструмента (../shared/data или "
    "$ALMATY_SCHEME_DATA).",
    "Base layers (GeoPackage)": "Базовые слои (GeoPackage)",
    "Your own base layers named like the canonical ones (e.g. from almaty-scheme "
    "import-osm); they win over the reference data.": "Ваши базовые слои с каноническими "
    "именами (например, из almaty-scheme import-osm); они важнее исходных данных.",
    "Ranged widths": "Ширины, заданные диапазоном",
    "each rule's default": "по умолчанию для каждого правила",
    "both (min certain + band to max possible)": "обе (минимум — точно, полоса до "
    "максимума — возможно)",
    "min only": "только минимум",
    "max only": "только максимум",
    "How widths given as a range in the scheme (e.g. 55-110 m) are drawn.": "Как строить "
    "ширины, заданные в схеме диапазоном (например, 55-110 м).",
    "Restriction layers": "Слои ограничений",
    "The GeoPackage to write; an existing file is replaced.": "GeoPackage для записи; "
    "существующий файл заменяется.",
    "The GeoPackage written by 'Build restriction layers'.": "GeoPackage, построенный "
    "алгоритмом «Построение слоёв ограничений».",
    "Check results (GeoPackage)": "Результаты проверки (GeoPackage)",
    "Draw these parcels by verdict instead of the overview.": "Показать эти участки по "
    "заключениям вместо обзорной карты.",
    "Language": "Язык",
    "Русский": "Русский",
    "English": "English",
    "Language of the title and the legend.": "Язык заголовка и легенды.",
    "Map": "Карта",
    "Map file to write (.png or .pdf).": "Файл карты (.png или .pdf).",
    "The GeoPackage written by 'Check parcels against the scheme'.": "GeoPackage, "
    "записанный алгоритмом «Проверка участков по схеме».",
    "The built GeoPackage, to draw the zones on the maps.": "Построенный GeoPackage, "
    "чтобы показать зоны на картах.",
    "Pages for at most N prohibited parcels": "Страниц не более чем для N участков с запретом",
    "The remaining prohibited parcels are counted, not drawn.": "Остальные участки с "
    "запретом только подсчитываются.",
    "Report": "Отчёт",
    "HTML file to write (works offline).": "HTML-файл (открывается без интернета).",
    "Report as PDF": "Отчёт в PDF",
    "Also write the report as a PDF.": "Записать отчёт также в PDF.",
    # Processing options
    "almaty-scheme executable (in the toolkit's own Python environment)": "Исполняемый "
    "файл almaty-scheme (в собственном окружении Python инструмента)",
}


def tr(text: str) -> str:
    """``text`` in the interface language (Russian when QGIS runs in Russian)."""
    if ui_lang() == "ru":
        return RU.get(text, text)
    return text
