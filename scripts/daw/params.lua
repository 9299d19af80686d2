-- Creates a scratch session, inserts the plugin and prints how Ardour lists its parameters
-- (the indices set_processor_param and get_processor_param take): one line each,
-- "param<TAB>INDEX<TAB>IS_INPUT<TAB>LOWER<TAB>UPPER<TAB>NORMAL<TAB>LABEL".
-- ardour7-lua params.lua -- FOLDER TYPE ID    (TYPE: a name in ARDOUR.PluginType, e.g. VST3)
local folder, kind, id = arg[1], arg[2], arg[3]
assert(create_session(folder, "params", 48000), "cannot create the session")
local tracks = Session:new_audio_track(2, 2, nil, 1, "clip", ARDOUR.PresentationInfo.max_order,
                                       ARDOUR.TrackMode.Normal, true)
local plugin = ARDOUR.LuaAPI.new_plugin(Session, id, ARDOUR.PluginType[kind], "")
assert(not plugin:isnil(), "cannot load the plugin " .. id)
assert(tracks:front():add_processor_by_index(plugin, 0, nil, true) == 0, "cannot insert the plugin")
local p = plugin:to_insert():plugin(0)
for i = 0, p:parameter_count() - 1 do
  -- Returns the status and a table of the arguments, the descriptor being the second.
  local _, refs = p:get_parameter_descriptor(i, ARDOUR.ParameterDescriptor())
  local d = refs[2]
  print(string.format("param\t%d\t%s\t%.17g\t%.17g\t%.17g\t%s", i, tostring(p:parameter_is_input(i)),
                      d.lower, d.upper, d.normal, p:parameter_label(i)))
end
close_session()
