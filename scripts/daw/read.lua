-- Loads the session and prints the plugin's control values: one "INDEX=VALUE" line each.
-- With a SNAPSHOT name other than "-", it then saves the session as that snapshot (with the
-- state the plugin holds after the reload).
-- ardour7-lua read.lua -- FOLDER NAME SNAPSHOT INDEX...
local folder, name, snapshot = arg[1], arg[2], arg[3]
assert(load_session(folder, name), "cannot load the session")
local track = Session:route_by_name("clip")
local plugin = track:nth_plugin(0)
assert(not plugin:isnil(), "the plugin did not come back")
print("plugin=" .. plugin:display_name())
for i = 4, #arg do
  -- Returns the value and a table of the arguments, the last being the "ok" flag.
  local value, refs = ARDOUR.LuaAPI.get_processor_param(plugin, tonumber(arg[i]), false)
  print(arg[i] .. "=" .. string.format("%.17g", value) .. " ok=" .. tostring(refs[3]))
end
if snapshot ~= "-" then
  Session:save_state(snapshot, false, false, false, false, false)
end
close_session()
