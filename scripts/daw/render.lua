-- Loads the session, inserts the plugin on the track "clip" (first in its chain), sets its
-- controls, exports frames 0 … FRAMES through the given preset, then saves and closes.
-- ardour7-lua render.lua -- FOLDER NAME URI PRESET_UUID EXPORT_FOLDER FRAMES INDEX=VALUE...
local folder, name, uri, preset, out, frames = arg[1], arg[2], arg[3], arg[4], arg[5], tonumber(arg[6])
assert(load_session(folder, name), "cannot load the session")
local track = Session:route_by_name("clip")
assert(not track:isnil(), "no track named clip")
local plugin = ARDOUR.LuaAPI.new_plugin(Session, uri, ARDOUR.PluginType.LV2, "")
assert(not plugin:isnil(), "cannot load the plugin " .. uri)
assert(track:add_processor_by_index(plugin, 0, nil, true) == 0, "cannot insert the plugin")
for i = 7, #arg do
  local index, value = arg[i]:match("^(%d+)=(.+)$")
  assert(ARDOUR.LuaAPI.set_processor_param(plugin, tonumber(index), tonumber(value)), "cannot set parameter " .. index)
end
local export = Session:simple_export()
export:set_range(0, frames)
assert(export:set_preset(preset), "no export preset " .. preset)
export:set_folder(out)
export:set_name("export")
assert(export:run_export(), "export failed")
Session:save_state("", false, false, false, false, false)
close_session()
print("exported")
