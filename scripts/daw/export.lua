-- Loads a session whose track "clip" already has the plugin, prints the plugin's control
-- values ("INDEX=VALUE" lines), exports frames 0 … FRAMES through the given preset and saves
-- the session as SNAPSHOT (with the state the plugin holds then).
-- ardour7-lua export.lua -- FOLDER NAME PRESET_UUID EXPORT_FOLDER FRAMES SNAPSHOT INDEX...
local folder, name, preset, out, frames, snapshot = arg[1], arg[2], arg[3], arg[4], tonumber(arg[5]), arg[6]
assert(load_session(folder, name), "cannot load the session")
local plugin = Session:route_by_name("clip"):nth_plugin(0)
assert(not plugin:isnil(), "no plugin on the track clip")
for i = 7, #arg do
  local value, refs = ARDOUR.LuaAPI.get_processor_param(plugin, tonumber(arg[i]), false)
  print(arg[i] .. "=" .. string.format("%.17g", value) .. " ok=" .. tostring(refs[3]))
end
local export = Session:simple_export()
export:set_range(0, frames)
assert(export:set_preset(preset), "no export preset " .. preset)
export:set_folder(out)
export:set_name("export")
assert(export:run_export(), "export failed")
Session:save_state(snapshot, false, false, false, false, false)
close_session()
print("exported")
