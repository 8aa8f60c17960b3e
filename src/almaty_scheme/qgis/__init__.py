"""QGIS styles (layer_styles) and project (.qgz) writers. QGIS is not needed at run time."""
