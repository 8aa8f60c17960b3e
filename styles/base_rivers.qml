<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="1" readOnly="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="categorizedSymbol" attr="kind" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <categories>
      <category symbol="0" value="river" label="река / river" render="true" />
      <category symbol="1" value="stream" label="ручей / stream" render="true" />
      <category symbol="2" value="canal" label="канал / canal" render="true" />
      <category symbol="3" value="" label="прочие / other" render="true" />
    </categories>
    <symbols>
      <symbol name="0" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="line_color" type="QString" value="33,113,181,255" />
            <Option name="line_width" type="QString" value="0.6" />
            <Option name="line_width_unit" type="QString" value="MM" />
            <Option name="line_style" type="QString" value="solid" />
            <Option name="capstyle" type="QString" value="round" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="use_custom_dash" type="QString" value="0" />
            <Option name="customdash" type="QString" value="5;2" />
            <Option name="customdash_unit" type="QString" value="MM" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="line_color" v="33,113,181,255" />
          <prop k="line_width" v="0.6" />
          <prop k="line_width_unit" v="MM" />
          <prop k="line_style" v="solid" />
          <prop k="capstyle" v="round" />
          <prop k="joinstyle" v="round" />
          <prop k="use_custom_dash" v="0" />
          <prop k="customdash" v="5;2" />
          <prop k="customdash_unit" v="MM" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="1" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="line_color" type="QString" value="66,146,198,255" />
            <Option name="line_width" type="QString" value="0.3" />
            <Option name="line_width_unit" type="QString" value="MM" />
            <Option name="line_style" type="QString" value="solid" />
            <Option name="capstyle" type="QString" value="round" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="use_custom_dash" type="QString" value="0" />
            <Option name="customdash" type="QString" value="5;2" />
            <Option name="customdash_unit" type="QString" value="MM" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="line_color" v="66,146,198,255" />
          <prop k="line_width" v="0.3" />
          <prop k="line_width_unit" v="MM" />
          <prop k="line_style" v="solid" />
          <prop k="capstyle" v="round" />
          <prop k="joinstyle" v="round" />
          <prop k="use_custom_dash" v="0" />
          <prop k="customdash" v="5;2" />
          <prop k="customdash_unit" v="MM" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="2" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="line_color" type="QString" value="66,146,198,255" />
            <Option name="line_width" type="QString" value="0.4" />
            <Option name="line_width_unit" type="QString" value="MM" />
            <Option name="line_style" type="QString" value="dash" />
            <Option name="capstyle" type="QString" value="round" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="use_custom_dash" type="QString" value="0" />
            <Option name="customdash" type="QString" value="5;2" />
            <Option name="customdash_unit" type="QString" value="MM" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="line_color" v="66,146,198,255" />
          <prop k="line_width" v="0.4" />
          <prop k="line_width_unit" v="MM" />
          <prop k="line_style" v="dash" />
          <prop k="capstyle" v="round" />
          <prop k="joinstyle" v="round" />
          <prop k="use_custom_dash" v="0" />
          <prop k="customdash" v="5;2" />
          <prop k="customdash_unit" v="MM" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="3" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="line_color" type="QString" value="107,174,214,255" />
            <Option name="line_width" type="QString" value="0.3" />
            <Option name="line_width_unit" type="QString" value="MM" />
            <Option name="line_style" type="QString" value="solid" />
            <Option name="capstyle" type="QString" value="round" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="use_custom_dash" type="QString" value="0" />
            <Option name="customdash" type="QString" value="5;2" />
            <Option name="customdash_unit" type="QString" value="MM" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="line_color" v="107,174,214,255" />
          <prop k="line_width" v="0.3" />
          <prop k="line_width_unit" v="MM" />
          <prop k="line_style" v="solid" />
          <prop k="capstyle" v="round" />
          <prop k="joinstyle" v="round" />
          <prop k="use_custom_dash" v="0" />
          <prop k="customdash" v="5;2" />
          <prop k="customdash_unit" v="MM" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
    </symbols>
  </renderer-v2>
  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName="name" isExpression="0" fontFamily="DejaVu Sans" fontSize="8" fontSizeUnit="Point" fontItalic="1" fontWeight="50" textColor="8,81,156,255" textOpacity="1" multilineHeight="1" blendMode="0" allowHtml="0" capitalization="0" namedStyle="">
        <text-buffer bufferDraw="1" bufferSize="0.7" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" bufferJoinStyle="128" bufferBlendMode="0" />
      </text-style>
      <text-format wrapChar="" autoWrapLength="0" multilineAlign="3" />
      <placement placement="2" placementFlags="10" dist="0" distUnits="MM" centroidInside="1" fitInPolygonOnly="0" priority="5" repeatDistance="0" />
      <rendering scaleVisibility="1" scaleMin="0" scaleMax="500000" obstacle="1" obstacleType="1" drawLabels="1" labelPerPart="0" mergeLines="1" limitNumLabels="0" maxNumLabels="2000" displayAll="0" upsidedownLabels="0" minFeatureSize="0" />
    </settings>
  </labeling>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <aliases>
    <alias field="base_id" index="0" name="Идентификатор объекта" />
    <alias field="source" index="1" name="Источник геометрии" />
    <alias field="licence" index="2" name="Лицензия" />
    <alias field="accuracy" index="3" name="Точность геометрии" />
    <alias field="name" index="4" name="Название" />
    <alias field="name_ru" index="5" name="Название (рус.)" />
    <alias field="kind" index="6" name="Вид зоны" />
    <alias field="length_km" index="7" name="Длина, км" />
    <alias field="strahler" index="8" name="Порядок по Стралеру" />
  </aliases>
  <previewExpression>"name"</previewExpression>
  <layerGeometryType>1</layerGeometryType>
</qgis>
