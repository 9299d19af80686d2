import AdaptiveEQ
import AudioFile
import EQAnalysis

/// At most this much of a file is read to measure its long-term spectrum (the first 30
/// minutes), so the measuring pass of a very long file stays bounded.
let maximumMeasuredSeconds = 30 * 60

/// The long-term spectrum (`LongTermSpectrum` band levels, dB) of an audio file, read in
/// chunks (memory flat in the file's length) up to `maximumMeasuredSeconds`; nil when no
/// frame is above the gate (shorter than about 0.1 s, or silent).
func measureLongTermSpectrum(path: String, progressLabel: String? = nil) throws
    -> (levels: [Double]?, sampleRate: Int, seconds: Double) {
    let reader = try AudioFileReader(path: path)
    let channels = reader.channelCount, chunk = 16_384
    let spectrum = LongTermSpectrum(sampleRateHz: Double(reader.sampleRate))
    let limit = maximumMeasuredSeconds * reader.sampleRate
    let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
    let planar = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channels)
    defer { interleaved.deallocate(); planar.deallocate(); pointers.deallocate() }
    for c in 0..<channels { pointers[c] = planar + c * chunk }
    var progress = ProgressBar(totalFrames: min(reader.frameCount, limit), sampleRate: reader.sampleRate,
                               enabled: progressLabel != nil, label: progressLabel ?? "")
    var done = 0
    while done < limit {
        let got = reader.readPlanar(into: planar, channelStride: chunk, frames: min(chunk, limit - done), scratch: interleaved)
        if got <= 0 { break }
        spectrum.add(pointers, channelCount: channels, frameCount: got)
        done += got
        progress.update(framesDone: done)
    }
    progress.finish()
    return (spectrum.bandLevelsDecibels, reader.sampleRate, Double(done) / Double(reader.sampleRate))
}

/// "Make it sound like this recording": the reference's long-term spectrum, measured once,
/// and the static matching EQ it asks of each input (`MatchingEQ`, then its one-third-octave
/// detail stage, `MatchingDetail`).
struct ReferenceMatch: Sendable {
    let path: String
    let levels: [Double]
    let intensity: Float

    init(path: String, intensity: Float, showProgress: Bool) throws {
        let measured = try measureLongTermSpectrum(path: path, progressLabel: showProgress ? "measuring the reference " : nil)
        guard let levels = measured.levels else {
            throw CLIError("reference '\(path)' is too short or too quiet to measure (needs about 0.1 s above -60 dBFS)")
        }
        (self.path, self.levels, self.intensity) = (path, levels, intensity)
    }

    /// The matching EQ and its detail at `intensity` for an input with long-term spectrum `input`
    /// (flat when the input has no frame above the gate) and the loudness-matching gain that goes with them.
    func settings(input: [Double]?, sampleRateHz: Double)
        -> (eq: EQSettings, detail: MatchingDetail, loudnessGainDecibels: Float) {
        let centres = LongTermSpectrum.bandCentresHz
        guard let input else { return (.flat, .flat, 0) }
        let full = MatchingEQ.fit(input: input, reference: levels, bandCentresHz: centres, sampleRateHz: sampleRateHz)
        let detail = MatchingDetail.fit(input: input, reference: levels, base: full, bandCentresHz: centres,
                                        sampleRateHz: sampleRateHz)
        return MatchingEQ.atIntensity(full, detail: detail, intensity, input: input, bandCentresHz: centres,
                                      sampleRateHz: sampleRateHz)
    }

    /// `controls` set to apply the matching EQ for the file at `input` (measured first): manual
    /// mode, with the whole-file loudness-matching gain added to the output gain when on.
    func controls(_ base: HostControls, forInput input: String, showProgress: Bool) throws -> HostControls {
        let measured = try measureLongTermSpectrum(path: input, progressLabel: showProgress ? "measuring the input " : nil)
        let fitted = settings(input: measured.levels, sampleRateHz: Double(measured.sampleRate))
        return base.playing(matchingEQ: fitted.eq, detail: fitted.detail, loudnessGainDecibels: fitted.loudnessGainDecibels)
    }
}
