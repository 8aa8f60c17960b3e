<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="0" readOnly="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <symbols>
      <symbol name="0" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="0,0,0,0" />
            <Option name="style" type="QString" value="no" />
            <Option name="outline_color" type="QString" value="26,26,26,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.9" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="0,0,0,0" />
          <prop k="style" v="no" />
          <prop k="outline_color" v="26,26,26,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.9" />
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
  <layerOpacity>1</layerOpacity>
  <aliases>
    <alias field="base_id" index="0" name="Идентификатор объекта" />
    <alias field="source" index="1" name="Источник геометрии" />
    <alias field="licence" index="2" name="Лицензия" />
    <alias field="accuracy" index="3" name="Точность геометрии" />
    <alias field="name" index="4" name="Название" />
    <alias field="method" index="5" name="Метод построения" />
    <alias field="area_ha" index="6" name="Площадь, га" />
    <alias field="rule_id" index="7" name="Правило каталога" />
    <alias field="family" index="8" name="Семейство правил" />
    <alias field="kind" index="9" name="Вид зоны" />
    <alias field="width_m" index="10" name="Ширина, м" />
    <alias field="width_min_m" index="11" name="Ширина минимальная, м" />
    <alias field="width_max_m" index="12" name="Ширина максимальная, м" />
    <alias field="band_inner_m" index="13" name="Внутренняя граница полосы, м" />
    <alias field="band_outer_m" index="14" name="Внешняя граница полосы, м" />
    <alias field="width_semantics" index="15" name="Ширина (общая / с каждой стороны)" />
    <alias field="measured_from" index="16" name="Отсчёт ширины от" />
    <alias field="certainty" index="17" name="Достоверность" />
    <alias field="horizon" index="18" name="Срок реализации" />
    <alias field="citation" index="19" name="Источник (строки схемы / акт)" />
    <alias field="citation_ru" index="20" name="Источник (по-русски)" />
    <alias field="verified" index="21" name="Норма проверена" />
    <alias field="reading" index="22" name="Прочтение текста схемы" />
    <alias field="source_layer" index="23" name="Исходный слой" />
    <alias field="source_fid" index="24" name="Исходный объект" />
  </aliases>
  <previewExpression>"name"</previewExpression>
  <layerGeometryType>2</layerGeometryType>
</qgis>
