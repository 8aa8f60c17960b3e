<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="1" readOnly="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <rules key="{base_roads-root}">
      <rule key="{base_roads-0}" symbol="0" label="схематичная трасса / schematic alignment" filter="&quot;category&quot; = 'schematic'" />
      <rule key="{base_roads-1}" symbol="1" label="дорога / road" filter="ELSE" />
    </rules>
    <symbols>
      <symbol name="0" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="line_color" type="QString" value="178,24,43,255" />
            <Option name="line_width" type="QString" value="0.5" />
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
          <prop k="line_color" v="178,24,43,255" />
          <prop k="line_width" v="0.5" />
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
      <symbol name="1" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="line_color" type="QString" value="178,24,43,255" />
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
          <prop k="line_color" v="178,24,43,255" />
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
    </symbols>
  </renderer-v2>
  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName="coalesce(&quot;ref&quot;, &quot;name&quot;)" isExpression="1" fontFamily="DejaVu Sans" fontSize="8" fontSizeUnit="Point" fontItalic="0" fontWeight="50" textColor="26,26,26,255" textOpacity="1" multilineHeight="1" blendMode="0" allowHtml="0" capitalization="0" namedStyle="">
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
    <alias field="ref" index="5" name="Номер дороги" />
    <alias field="category" index="6" name="Категория" />
    <alias field="rule_ids" index="7" name="Правила каталога" />
  </aliases>
  <previewExpression>coalesce("ref", "name")</previewExpression>
  <layerGeometryType>1</layerGeometryType>
</qgis>
