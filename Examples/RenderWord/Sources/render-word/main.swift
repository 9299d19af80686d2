// render-word IN OUT WORD [INTENSITY] [--set SYMBOL=VALUE]... [--whole] [--resources FOLDER]
//
// Renders IN to OUT with WORD at INTENSITY (0…1, default 0.7) through `HostEqualiser`, the
// layer the CLI and the plugins render through: block by block (the default, as a
// real-time host would), or the whole file in one call with --whole. Both give the same
// samples. --set gives any other control by its parameter-table symbol (smoothing_ms=50).
// FOLDER holds the model and the word table (default: the repository's bundled ones).
import AdaptiveEQ
import AudioFile
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("render-word: \(message)\n".utf8))
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
let whole = arguments.contains("--whole")
arguments.removeAll { $0 == "--whole" }
var resources = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().appendingPathComponent("../../../../Sources/AdaptiveEQResources/Resources").path
if let flag = arguments.firstIndex(of: "--resources"), flag + 1 < arguments.count {
    resources = arguments[flag + 1]
    arguments.removeSubrange(flag...flag + 1)
}
// Any other control, by its symbol in the parameter table.
var settings: [(ControlParameter, Float)] = []
while let flag = arguments.firstIndex(of: "--set"), flag + 1 < arguments.count {
    let pair = arguments[flag + 1].split(separator: "=", maxSplits: 1).map(String.init)
    guard pair.count == 2, let parameter = ControlParameter.allCases.first(where: { $0.symbol == pair[0] }),
          let value = Float(pair[1]) else {
        fail("--set takes SYMBOL=NUMBER, SYMBOL one of \(ControlParameter.allCases.map(\.symbol))")
    }
    settings.append((parameter, value))
    arguments.removeSubrange(flag...flag + 1)
}
guard arguments.count == 3 || arguments.count == 4 else {
    fail("usage: render-word IN OUT WORD [INTENSITY] [--set SYMBOL=VALUE]... [--whole] [--resources FOLDER]")
}
let (inputPath, outputPath, word) = (arguments[0], arguments[1], arguments[2])
guard let intensity = Float(arguments.count == 4 ? arguments[3] : "0.7"), (0...1).contains(intensity) else {
    fail("intensity must be a number from 0 to 1")
}

do {
    // Words and model: the files a plugin bundle carries (PluginResources names them).
    let vocabulary = try PluginResources.loadVocabulary(folder: resources)
    guard let term = vocabulary.index(of: word) else {
        fail("unknown word '\(word)'; nearest: \(vocabulary.suggestions(for: word).joined(separator: ", "))")
    }
    let reader = try AudioFileReader(path: inputPath)
    let writer = try AudioFileWriter(path: outputPath, sampleRate: reader.sampleRate,
                                     channelCount: reader.channelCount, like: reader.format, overwrite: false)
    var controls = HostControls()
    controls.term = term
    controls.intensity = intensity
    for (parameter, value) in settings {
        controls.set(parameter, rawValue: value, vocabularyCount: vocabulary.words.count)
    }

    if whole {
        // Offline, whole buffer: one call renders any number of frames.
        let channels = reader.readAllPlanar()
        let frames = channels.first?.count ?? 0
        let planar = UnsafeMutablePointer<Float>.allocate(capacity: max(frames * channels.count, 1))
        defer { planar.deallocate() }
        for (c, samples) in channels.enumerated() { (planar + c * frames).initialize(from: samples, count: frames) }
        let pointers = (0..<channels.count).map { planar + $0 * frames }
        var equaliser = HostEqualiser(vocabulary: vocabulary)
        equaliser.prepare(sampleRateHz: Double(reader.sampleRate), channelCount: reader.channelCount)
        pointers.withUnsafeBufferPointer { equaliser.process($0.baseAddress!, frameCount: frames, controls: controls) }
        let interleaved = (0..<frames * channels.count).map { planar[($0 % channels.count) * frames + $0 / channels.count] }
        try writer.write(interleaved, frames: frames)
    } else {
        // Block by block, as a real-time host: prepare allocates, process never does.
        let blockFrames = 512, channelCount = reader.channelCount
        var equaliser = HostEqualiser(vocabulary: vocabulary)
        equaliser.prepare(ProcessSpec(sampleRateHz: Double(reader.sampleRate), maximumBlockFrames: blockFrames,
                                      channelCount: channelCount))
        let planar = UnsafeMutablePointer<Float>.allocate(capacity: blockFrames * channelCount)
        let interleaved = UnsafeMutablePointer<Float>.allocate(capacity: blockFrames * channelCount)
        let channels = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channelCount)
        defer { planar.deallocate(); interleaved.deallocate(); channels.deallocate() }
        for c in 0..<channelCount { channels[c] = planar + c * blockFrames }
        while true {
            let frames = reader.readPlanar(into: planar, channelStride: blockFrames, frames: blockFrames,
                                           scratch: interleaved)
            if frames <= 0 { break }
            equaliser.process(channels, frameCount: frames, controls: controls)
            for i in 0..<frames * channelCount { interleaved[i] = channels[i % channelCount][i / channelCount] }
            try writer.write(interleaved, frames: frames)
        }
    }
    try writer.finish()
    print("\(outputPath): '\(vocabulary.meaning(at: term).word)' at intensity \(intensity)")
} catch {
    fail("\(error)")
}
