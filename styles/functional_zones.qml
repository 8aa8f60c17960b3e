<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.16-Białowieża" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="100000000" maxScale="0" labelsEnabled="1" readOnly="0" simplifyDrawingHints="1" simplifyDrawingTol="1" simplifyLocal="1" simplifyMaxScale="1" simplifyAlgorithm="0">
  <renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0" referencescale="-1">
    <rules key="{functional_zones-root}">
      <rule key="{functional_zones-intensive}" label="1 Интенсивное освоение / Intensive development" filter="&quot;functional_group&quot; = 'intensive'">
        <rule key="{functional_zones-0}" symbol="0" label="в пределах нормы / certain" filter="&quot;certainty&quot; = 'certain'" />
        <rule key="{functional_zones-1}" symbol="1" label="возможное расширение (диапазон) / possible (ranged width)" filter="&quot;certainty&quot; = 'possible'" />
      </rule>
      <rule key="{functional_zones-extensive}" label="2 Экстенсивное освоение / Extensive" filter="&quot;functional_group&quot; = 'extensive'">
        <rule key="{functional_zones-2}" symbol="2" label="в пределах нормы / certain" filter="&quot;certainty&quot; = 'certain'" />
        <rule key="{functional_zones-3}" symbol="3" label="возможное расширение (диапазон) / possible (ranged width)" filter="&quot;certainty&quot; = 'possible'" />
      </rule>
      <rule key="{functional_zones-limited}" label="3 Ограниченное освоение / Limited" filter="&quot;functional_group&quot; = 'limited'">
        <rule key="{functional_zones-4}" symbol="4" label="в пределах нормы / certain" filter="&quot;certainty&quot; = 'certain'" />
        <rule key="{functional_zones-5}" symbol="5" label="возможное расширение (диапазон) / possible (ranged width)" filter="&quot;certainty&quot; = 'possible'" />
      </rule>
      <rule key="{functional_zones-special}" label="4 Особый режим / Special regime" filter="&quot;functional_group&quot; = 'special'">
        <rule key="{functional_zones-6}" symbol="6" label="в пределах нормы / certain" filter="&quot;certainty&quot; = 'certain'" />
        <rule key="{functional_zones-7}" symbol="7" label="возможное расширение (диапазон) / possible (ranged width)" filter="&quot;certainty&quot; = 'possible'" />
      </rule>
      <rule key="{functional_zones-8}" symbol="8" label="прочие / other" filter="ELSE" />
    </rules>
    <symbols>
      <symbol name="0" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="232,96,76,115" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="232,96,76,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="232,96,76,115" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="232,96,76,255" />
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
            <Option name="outline_color" type="QString" value="232,96,76,255" />
            <Option name="outline_style" type="QString" value="dash" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="0,0,0,0" />
          <prop k="style" v="no" />
          <prop k="outline_color" v="232,96,76,255" />
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
            <Option name="color" type="QString" value="232,96,76,255" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="angle" v="45" />
          <prop k="distance" v="2" />
          <prop k="distance_unit" v="MM" />
          <prop k="line_width" v="0.3" />
          <prop k="line_width_unit" v="MM" />
          <prop k="color" v="232,96,76,255" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
          <symbol name="@1@1" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
            <layer class="SimpleLine" enabled="1" locked="0" pass="0">
              <Option type="Map">
                <Option name="line_color" type="QString" value="232,96,76,255" />
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
              <prop k="line_color" v="232,96,76,255" />
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
            <Option name="color" type="QString" value="230,194,41,115" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="230,194,41,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="230,194,41,115" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="230,194,41,255" />
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
            <Option name="color" type="QString" value="0,0,0,0" />
            <Option name="style" type="QString" value="no" />
            <Option name="outline_color" type="QString" value="230,194,41,255" />
            <Option name="outline_style" type="QString" value="dash" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="0,0,0,0" />
          <prop k="style" v="no" />
          <prop k="outline_color" v="230,194,41,255" />
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
            <Option name="color" type="QString" value="230,194,41,255" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="angle" v="45" />
          <prop k="distance" v="2" />
          <prop k="distance_unit" v="MM" />
          <prop k="line_width" v="0.3" />
          <prop k="line_width_unit" v="MM" />
          <prop k="color" v="230,194,41,255" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
          <symbol name="@3@1" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
            <layer class="SimpleLine" enabled="1" locked="0" pass="0">
              <Option type="Map">
                <Option name="line_color" type="QString" value="230,194,41,255" />
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
              <prop k="line_color" v="230,194,41,255" />
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
      <symbol name="4" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="77,175,74,115" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="77,175,74,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="77,175,74,115" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="77,175,74,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="joinstyle" v="round" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="5" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="0,0,0,0" />
            <Option name="style" type="QString" value="no" />
            <Option name="outline_color" type="QString" value="77,175,74,255" />
            <Option name="outline_style" type="QString" value="dash" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="0,0,0,0" />
          <prop k="style" v="no" />
          <prop k="outline_color" v="77,175,74,255" />
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
            <Option name="color" type="QString" value="77,175,74,255" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="angle" v="45" />
          <prop k="distance" v="2" />
          <prop k="distance_unit" v="MM" />
          <prop k="line_width" v="0.3" />
          <prop k="line_width_unit" v="MM" />
          <prop k="color" v="77,175,74,255" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
          <symbol name="@5@1" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
            <layer class="SimpleLine" enabled="1" locked="0" pass="0">
              <Option type="Map">
                <Option name="line_color" type="QString" value="77,175,74,255" />
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
              <prop k="line_color" v="77,175,74,255" />
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
      <symbol name="6" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="63,127,191,115" />
            <Option name="style" type="QString" value="solid" />
            <Option name="outline_color" type="QString" value="63,127,191,255" />
            <Option name="outline_style" type="QString" value="solid" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="63,127,191,115" />
          <prop k="style" v="solid" />
          <prop k="outline_color" v="63,127,191,255" />
          <prop k="outline_style" v="solid" />
          <prop k="outline_width" v="0.3" />
          <prop k="outline_width_unit" v="MM" />
          <prop k="joinstyle" v="round" />
          <prop k="offset" v="0,0" />
          <prop k="offset_unit" v="MM" />
        </layer>
      </symbol>
      <symbol name="7" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
        <layer class="SimpleFill" enabled="1" locked="0" pass="0">
          <Option type="Map">
            <Option name="color" type="QString" value="0,0,0,0" />
            <Option name="style" type="QString" value="no" />
            <Option name="outline_color" type="QString" value="63,127,191,255" />
            <Option name="outline_style" type="QString" value="dash" />
            <Option name="outline_width" type="QString" value="0.3" />
            <Option name="outline_width_unit" type="QString" value="MM" />
            <Option name="joinstyle" type="QString" value="round" />
            <Option name="offset" type="QString" value="0,0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="color" v="0,0,0,0" />
          <prop k="style" v="no" />
          <prop k="outline_color" v="63,127,191,255" />
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
            <Option name="color" type="QString" value="63,127,191,255" />
            <Option name="offset" type="QString" value="0" />
            <Option name="offset_unit" type="QString" value="MM" />
          </Option>
          <prop k="angle" v="45" />
          <prop k="distance" v="2" />
          <prop k="distance_unit" v="MM" />
          <prop k="line_width" v="0.3" />
          <prop k="line_width_unit" v="MM" />
          <prop k="color" v="63,127,191,255" />
          <prop k="offset" v="0" />
          <prop k="offset_unit" v="MM" />
          <symbol name="@7@1" type="line" alpha="1" clip_to_extent="1" force_rhr="0">
            <layer class="SimpleLine" enabled="1" locked="0" pass="0">
              <Option type="Map">
                <Option name="line_color" type="QString" value="63,127,191,255" />
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
              <prop k="line_color" v="63,127,191,255" />
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
      <symbol name="8" type="fill" alpha="1" clip_to_extent="1" force_rhr="0">
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
      <text-style fieldName="coalesce(&quot;zone_label&quot;, &quot;subzone&quot;, &quot;name&quot;)" isExpression="1" fontFamily="DejaVu Sans" fontSize="8" fontSizeUnit="Point" fontItalic="0" fontWeight="50" textColor="26,26,26,255" textOpacity="1" multilineHeight="1" blendMode="0" allowHtml="0" capitalization="0" namedStyle="">
        <text-buffer bufferDraw="1" bufferSize="0.7" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.85" bufferNoFill="1" bufferJoinStyle="128" bufferBlendMode="0" />
      </text-style>
      <text-format wrapChar="" autoWrapLength="0" multilineAlign="3" />
      <placement placement="0" placementFlags="10" dist="0" distUnits="MM" centroidInside="1" fitInPolygonOnly="0" priority="5" repeatDistance="0" />
      <rendering scaleVisibility="1" scaleMin="0" scaleMax="500000" obstacle="1" obstacleType="1" drawLabels="1" labelPerPart="0" mergeLines="0" limitNumLabels="0" maxNumLabels="2000" displayAll="0" upsidedownLabels="0" minFeatureSize="0" />
    </settings>
  </labeling>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>0.35</layerOpacity>
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
    <alias field="functional_group" index="21" name="Функциональная группа" />
    <alias field="subzone" index="22" name="Подзона" />
    <alias field="zone_label" index="23" name="Подпись зоны" />
  </aliases>
  <previewExpression>coalesce("zone_label", "subzone", "name")</previewExpression>
  <layerGeometryType>2</layerGeometryType>
</qgis>
