<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="1" readOnly="0" simplifyDrawingHints="0" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <symbols>
      <symbol name="0" type="marker" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleMarker" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="name" type="QString" value="circle" />
            <Option name="color" type="QString" value="255,255,255,255" />
            <Option name="outline_color" type="QString" value="26,26,26,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="size" type="QString" value="1.8" />
            <Option name="size_unit" type="QString" value="MM" />
            <Option name="angle" type="QString" value="0" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
            <Option name="scale_method" type="QString" value="diameter" />
            <Option name="joinstyle" type="QString" value="round" />
          </Option>
          <prop k="name" v="circle" />
          <prop k="color" v="255,255,255,255" />
          <prop k="outline_color" v="26,26,26,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="size" v="1.8" />
          <prop k="size_unit" v="MM" />
          <prop k="angle" v="0" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
          <prop k="scale_method" v="diameter" />
          <prop k="joinstyle" v="round" />
        </layer>
      </symbol>
    </symbols>
  </renderer-v2>
  <labeling type="simple">
    <settings calloutType="simple">
      <text-style fieldName="coalesce(&quot;name_ru&quot;, &quot;name&quot;)" isExpression="1" fontFamily="DejaVu Sans" fontSize="8" fontSizeUnit="Point" fontItalic="0" fontWeight="50" textColor="26,26,26,255" textOpacity="1" multilineHeight="1" blendMode="0" allowHtml="0" capitalization="0" namedStyle="">
        <text-buffer bufferDraw="1" bufferSize="0.7" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" bufferJoinStyle="128" bufferBlendMode="0" />
      </text-style>
      <text-format wrapChar="" autoWrapLength="0" multilineAlign="3" />
      <placement placement="0" placementFlags="10" dist="1" distUnits="MM" centroidInside="1" fitInPolygonOnly="0" priority="5" repeatDistance="0" />
      <rendering scaleVisibility="1" scaleMin="0" scaleMax="1500000" obstacle="1" obstacleType="1" drawLabels="1" labelPerPart="0" mergeLines="0" limitNumLabels="0" maxNumLabels="2000" displayAll="0" upsidedownLabels="0" minFeatureSize="0" />
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
    <alias field="name_kk" index="6" name="Название (каз.)" />
    <alias field="status" index="7" name="Статус" />
    <alias field="district" index="8" name="Район" />
    <alias field="rural_district" index="9" name="Сельский округ" />
    <alias field="scheme_row" index="10" name="Строка приложения 15" />
    <alias field="pop_2018" index="11" name="Население 2018" />
    <alias field="pop_2025" index="12" name="Население 2025" />
    <alias field="pop_2035" index="13" name="Население 2035" />
    <alias field="pop_2050" index="14" name="Население 2050" />
    <alias field="match" index="15" name="Сопоставление с приложением 15" />
  </aliases>
  <previewExpression>coalesce("name_ru", "name")</previewExpression>
  <layerGeometryType>0</layerGeometryType>
</qgis>
