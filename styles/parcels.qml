<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="1" readOnly="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="categorizedSymbol" attr="verdict" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <categories>
      <category symbol="0" value="prohibited" label="Запрещено / Prohibited" render="true" />
      <category symbol="1" value="conditional" label="Условно (по согласованию) / Conditional" render="true" />
      <category symbol="2" value="clear" label="Ограничений нет / Clear" render="true" />
      <category symbol="3" value="outside" label="Вне границ / покрытия / Outside" render="true" />
      <category symbol="4" value="invalid_input" label="Ошибка входных данных / Invalid input" render="true" />
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
            <Option name="color" type="QString" value="26,150,65,191" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="18,105,45,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="26,150,65,191" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="18,105,45,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="joinstyle" v="round" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="3" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="99,99,99,191" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="69,69,69,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="99,99,99,191" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="69,69,69,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="joinstyle" v="round" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="4" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="123,50,148,191" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="86,35,103,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="123,50,148,191" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="86,35,103,255" />
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
      <text-style fieldName="parcel_id" isExpression="0" fontFamily="DejaVu Sans" fontSize="7" fontSizeUnit="Point" fontItalic="0" fontWeight="50" textColor="26,26,26,255" textOpacity="1" multilineHeight="1" blendMode="0" allowHtml="0" capitalization="0" namedStyle="">
        <text-buffer bufferDraw="1" bufferSize="0.7" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" bufferJoinStyle="128" bufferBlendMode="0" />
      </text-style>
      <text-format wrapChar="" autoWrapLength="0" multilineAlign="3" />
      <placement placement="0" placementFlags="10" dist="0" distUnits="MM" centroidInside="1" fitInPolygonOnly="0" priority="5" repeatDistance="0" />
      <rendering scaleVisibility="1" scaleMin="0" scaleMax="25000" obstacle="1" obstacleType="1" drawLabels="1" labelPerPart="0" mergeLines="0" limitNumLabels="0" maxNumLabels="2000" displayAll="0" upsidedownLabels="0" minFeatureSize="0" />
    </settings>
  </labeling>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <aliases>
    <alias field="parcel_id" index="0" name="Участок" />
    <alias field="use_input" index="1" name="Целевое назначение (как задано)" />
    <alias field="use_class" index="2" name="Класс использования" />
    <alias field="verdict" index="3" name="Заключение" />
    <alias field="verdict_reason" index="4" name="Причина заключения" />
    <alias field="worst_rule_id" index="5" name="Наиболее строгое правило" />
    <alias field="worst_family" index="6" name="Семейство наиболее строгого правила" />
    <alias field="worst_share_pct" index="7" name="Доля площади под наиболее строгим правилом, %" />
    <alias field="n_hits" index="8" name="Число пересекаемых зон" />
    <alias field="explanation_ru" index="9" name="Пояснение" />
    <alias field="explanation_en" index="10" name="Пояснение (англ.)" />
    <alias field="input_flags" index="11" name="Отметки о входных данных" />
    <alias field="area_m2" index="12" name="Площадь, м²" />
    <alias field="near_roads_m" index="13" name="Расстояние до ближайшей зоны (roads), м" />
    <alias field="near_railways_m" index="14" name="Расстояние до ближайшей зоны (railways), м" />
    <alias field="near_power_m" index="15" name="Расстояние до ближайшей зоны (power), м" />
    <alias field="near_water_mains_m" index="16" name="Расстояние до ближайшей зоны (water_mains), м" />
    <alias field="near_water_protection_m" index="17" name="Расстояние до ближайшей зоны (water_protection), м" />
    <alias field="near_gas_m" index="18" name="Расстояние до ближайшей зоны (gas), м" />
    <alias field="near_forest_m" index="19" name="Расстояние до ближайшей зоны (forest), м" />
    <alias field="near_elevation_m" index="20" name="Расстояние до ближайшей зоны (elevation), м" />
    <alias field="near_settlement_m" index="21" name="Расстояние до ближайшей зоны (settlement), м" />
    <alias field="near_industrial_m" index="22" name="Расстояние до ближайшей зоны (industrial), м" />
    <alias field="near_zoning_m" index="23" name="Расстояние до ближайшей зоны (zoning), м" />
  </aliases>
  <previewExpression>"parcel_id"</previewExpression>
  <layerGeometryType>2</layerGeometryType>
</qgis>
