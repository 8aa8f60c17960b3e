<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="0" readOnly="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <symbols>
      <symbol name="0" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="line_color" type="QString" value="37,37,37,255" />
            <Option name="line_width" type="QString" value="0.8" />
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
          <prop k="line_color" v="37,37,37,255" />
          <prop k="line_width" v="0.8" />
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
        <layer class="SimpleLine" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="line_color" type="QString" value="255,255,255,255" />
            <Option name="line_width" type="QString" value="0.4" />
            <Option name="line_width_unit" type="QString" value="MM" />
            <Option name="line_style" type="QString" value="solid" />
            <Option name="capstyle" type="QString" value="flat" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="use_custom_dash" type="QString" value="1" />
            <Option name="customdash" type="QString" value="3;3" />
            <Option name="customdash_unit" type="QString" value="MM" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="line_color" v="255,255,255,255" />
          <prop k="line_width" v="0.4" />
          <prop k="line_width_unit" v="MM" />
          <prop k="line_style" v="solid" />
          <prop k="capstyle" v="flat" />
          <prop k="joinstyle" v="round" />
          <prop k="use_custom_dash" v="1" />
          <prop k="customdash" v="3;3" />
          <prop k="customdash_unit" v="MM" />
          <prop k="offset" v="0" />
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
    <alias field="status" index="5" name="Статус" />
    <alias field="tracks" index="6" name="Число путей" />
  </aliases>
  <previewExpression>"name"</previewExpression>
  <layerGeometryType>1</layerGeometryType>
</qgis>
