<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="0" readOnly="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="categorizedSymbol" attr="regime" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <categories>
      <category symbol="0" value="prohibited" label="запрещено / prohibited" render="true" />
      <category symbol="1" value="conditional" label="по согласованию / conditional" render="true" />
      <category symbol="2" value="allowed" label="разрешено / allowed" render="true" />
    </categories>
    <symbols>
      <symbol name="0" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="215,25,28,191" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="150,17,19,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="215,25,28,191" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="150,17,19,255" />
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
            <Option name="color" type="QString" value="253,174,97,191" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="177,121,67,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="253,174,97,191" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="177,121,67,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="joinstyle" v="round" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="2" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="166,217,106,191" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="116,151,74,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="166,217,106,191" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="116,151,74,255" />
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
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>0.8</layerOpacity>
  <aliases>
    <alias field="parcel_id" index="0" name="Участок" />
    <alias field="rule_id" index="1" name="Правило каталога" />
    <alias field="family" index="2" name="Семейство правил" />
    <alias field="layer" index="3" name="Слой ограничений" />
    <alias field="zone_name" index="4" name="Название зоны" />
    <alias field="certainty" index="5" name="Достоверность" />
    <alias field="overlap_m2" index="6" name="Площадь пересечения, м²" />
    <alias field="share_pct" index="7" name="Доля площади участка, %" />
    <alias field="distance_to_source_m" index="8" name="Расстояние до объекта, м" />
    <alias field="regime" index="9" name="Режим использования" />
    <alias field="citation" index="10" name="Источник (строки схемы / акт)" />
    <alias field="accuracy" index="11" name="Точность геометрии" />
  </aliases>
  <previewExpression>"name"</previewExpression>
  <layerGeometryType>2</layerGeometryType>
</qgis>
