-- Loads the session and prints the plugin's control values: one "INDEX=VALUE" line each.
-- ardour7-lua read.lua -- FOLDER NAME INDEX...
local folder, name = arg[1], arg[2]
assert(load_session(folder, name), "cannot load the session")
local track = Session:route_by_name("clip")
local plugin = track:nth_plugin(0)
assert(not plugin:isnil(), "the plugin did not come back")
print("plugin=" .. plugin:display_name())
for i = 3, #arg do
  -- Returns the value and a table of the arguments, the last being the "ok" flag.
  local value, refs = ARDOUR.LuaAPI.get_processor_param(plugin, tonumber(arg[i]), false)
  print(arg[i] .. "=" .. tostring(value) .. " ok=" .. tostring(refs[3]))
end
close_session()
