-- Creates a 48 kHz session with one stereo audio track named "clip".
-- ardour7-lua create.lua -- FOLDER NAME
local folder, name = arg[1], arg[2]
assert(create_session(folder, name, 48000), "cannot create the session")
local tracks = Session:new_audio_track(2, 2, nil, 1, "clip", ARDOUR.PresentationInfo.max_order,
                                       ARDOUR.TrackMode.Normal, true)
assert(tracks:size() == 1, "cannot add the track")
Session:save_state("", false, false, false, false, false)
close_session()
print("created")
