import AdaptiveEQ
import AudioFile
import EQInference

/// The colouration of a reference recording (`ColourationMeter` over the whole file).
func referenceColouration(path: String, model: AdaptiveEQModel) throws -> [Float] {
    let reader = try AudioFileReader(path: path)
    let channels = reader.channelCount, chunk = 4096
    var meter = ColourationMeter(model: model, sampleRateHz: Double(reader.sampleRate), channelCount: channels)
    let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
    let planar = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channels)
    let scratch = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channels)
    defer { interleaved.deallocate(); planar.deallocate(); pointers.deallocate(); scratch.deallocate() }
    for c in 0..<channels { pointers[c] = planar + c * chunk }
    while true {
        let got = reader.readPlanar(into: planar, channelStride: chunk, frames: chunk, scratch: interleaved)
        if got <= 0 { break }
        meter.add(pointers, channelCount: channels, frameCount: got, scratch: scratch)
    }
    guard let z = meter.meanLatent else { throw CLIError("reference '\(path)' is too short to analyse (needs about 0.1 s)") }
    return z
}
