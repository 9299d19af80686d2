-- Shared by export.lua and render.lua (loaded with dofile from the same folder): exports
-- frames 0 … FRAMES of the loaded session through the export preset PRESET into FOLDER/export.*.
function export_frames(frames, preset, folder)
  local export = Session:simple_export()
  export:set_range(0, frames)
  assert(export:set_preset(preset), "no export preset " .. preset)
  export:set_folder(folder)
  export:set_name("export")
  assert(export:run_export(), "export failed")
end
