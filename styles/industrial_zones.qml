<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="1" readOnly="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="categorizedSymbol" attr="certainty" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <categories>
      <category symbol="0" value="certain" label="в пределах нормы / certain" render="true" />
      <category symbol="1" value="possible" label="возможное расширение (диапазон) / possible (ranged width)" render="true" />
      <category symbol="2" value="" label="прочие / other" render="true" />
    </categories>
    <symbols>
      <symbol name="0" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="122,122,122,115" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="122,122,122,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="122,122,122,115" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="122,122,122,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="joinstyle" v="round" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="1" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="0,0,0,0" />
            <Option name="style" type="QString" value="no" />
            <Option name="outline_color" type="QString" value="122,122,122,255" />
            <Option name="outline_style" type="QString" value="dash" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="0,0,0,0" />
          <prop k="style" v="no" />
          <prop k="outline_color" v="122,122,122,255" />
          <prop k="outline_style" v="dash" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="joinstyle" v="round" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
        </layer>
        <layer class="LinePatternFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="angle" type="QString" value="45" />
            <Option name="distance" type="QString" value="2" />
            <Option name="distance_unit" type="QString" value="MM" />
            <Option name="line_width" type="QString" value="0.3" />
            <Option name="line_width_unit" type="QString" value="MM" />
            <Option name="color" type="QString" value="122,122,122,255" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="angle" v="45" />
          <prop k="distance" v="2" />
          <prop k="distance_unit" v="MM" />
          <prop k="line_width" v="0.3" />
          <prop k="line_width_unit" v="MM" />
          <prop k="color" v="122,122,122,255" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
          <symbol name="@1@1" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
            <layer class="SimpleLine" enabled="1" locked="0" pass="0">
              <Option type="Map">
                <Option name="line_color" type="QString" value="122,122,122,255" />
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
              <prop k="line_color" v="122,122,122,255" />
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
        </layer>
      </symbol>
      <symbol name="2" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="158,158,158,115" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="158,158,158,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="158,158,158,115" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="158,158,158,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="joinstyle" v="round" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
    </symbols>
  </renderer-v2>
  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName="name" isExpression="0" fontFamily="DejaVu Sans" fontSize="8" fontSizeUnit="Point" fontItalic="0" fontWeight="50" textColor="26,26,26,255" textOpacity="1" multilineHeight="1" blendMode="0" allowHtml="0" capitalization="0" namedStyle="">
        <text-buffer bufferDraw="1" bufferSize="0.7" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" bufferJoinStyle="128" bufferBlendMode="0" />
      </text-style>
      <text-format wrapChar="" autoWrapLength="0" multilineAlign="3" />
      <placement placement="0" placementFlags="10" dist="0" distUnits="MM" centroidInside="1" fitInPolygonOnly="0" priority="5" repeatDistance="0" />
      <rendering scaleVisibility="1" scaleMin="0" scaleMax="250000" obstacle="1" obstacleType="1" drawLabels="1" labelPerPart="0" mergeLines="0" limitNumLabels="0" maxNumLabels="2000" displayAll="0" upsidedownLabels="0" minFeatureSize="0" />
    </settings>
  </labeling>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <aliases>
    <alias field="rule_id" index="0" name="Правило каталога" />
    <alias field="family" index="1" name="Семейство правил" />
    <alias field="kind" index="2" name="Вид зоны" />
    <alias field="name" index="3" name="Название" />
    <alias field="width_m" index="4" name="Ширина, м" />
    <alias field="width_min_m" index="5" name="Ширина минимальная, м" />
    <alias field="width_max_m" index="6" name="Ширина максимальная, м" />
    <alias field="band_inner_m" index="7" name="Внутренняя граница полосы, м" />
    <alias field="band_outer_m" index="8" name="Внешняя граница полосы, м" />
    <alias field="width_semantics" index="9" name="Ширина (общая / с каждой стороны)" />
    <alias field="measured_from" index="10" name="Отсчёт ширины от" />
    <alias field="certainty" index="11" name="Достоверность" />
    <alias field="horizon" index="12" name="Срок реализации" />
    <alias field="citation" index="13" name="Источник (строки схемы / акт)" />
    <alias field="citation_ru" index="14" name="Источник (по-русски)" />
    <alias field="verified" index="15" name="Норма проверена" />
    <alias field="reading" index="16" name="Прочтение текста схемы" />
    <alias field="source" index="17" name="Источник геометрии" />
    <alias field="accuracy" index="18" name="Точность геометрии" />
    <alias field="source_layer" index="19" name="Исходный слой" />
    <alias field="source_fid" index="20" name="Исходный объект" />
  </aliases>
  <previewExpression>"name"</previewExpression>
  <layerGeometryType>2</layerGeometryType>
</qgis>
