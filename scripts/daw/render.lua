-- Loads the session, inserts the plugin on the track "clip" (first in its chain), sets its
-- controls, exports frames 0 … FRAMES through the given preset, then saves and closes.
-- Assignments after the word "then" are made after the export, right before saving.
-- ardour7-lua render.lua -- FOLDER NAME TYPE ID PRESET_UUID EXPORT_FOLDER FRAMES INDEX=VALUE... [then INDEX=VALUE...]
-- (TYPE: a name in ARDOUR.PluginType, LV2 or VST3; ID: the LV2 URI or the VST3 name)
local folder, name, kind, id, preset, out, frames = arg[1], arg[2], arg[3], arg[4], arg[5], arg[6], tonumber(arg[7])
assert(load_session(folder, name), "cannot load the session")
local track = Session:route_by_name("clip")
assert(not track:isnil(), "no track named clip")
local plugin = ARDOUR.LuaAPI.new_plugin(Session, id, ARDOUR.PluginType[kind], "")
assert(not plugin:isnil(), "cannot load the plugin " .. id)
assert(track:add_processor_by_index(plugin, 0, nil, true) == 0, "cannot insert the plugin")
local function set(assignment)
  local index, value = assignment:match("^(%d+)=(.+)$")
  assert(ARDOUR.LuaAPI.set_processor_param(plugin, tonumber(index), tonumber(value)), "cannot set parameter " .. index)
end
local later = nil
for i = 8, #arg do
  if arg[i] == "then" then later = i + 1; break end
  set(arg[i])
end
local export = Session:simple_export()
export:set_range(0, frames)
assert(export:set_preset(preset), "no export preset " .. preset)
export:set_folder(out)
export:set_name("export")
assert(export:run_export(), "export failed")
if later then
  for i = later, #arg do set(arg[i]) end
end
Session:save_state("", false, false, false, false, false)
close_session()
print("exported")
