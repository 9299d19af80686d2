import AEQTestSupport
import AudioFile
import Foundation
import Testing

/// The `adaptive-eq` executable built beside the test bundle (or $AEQ_BIN).
let cliPath: String = {
    if let bin = ProcessInfo.processInfo.environment["AEQ_BIN"] { return bin }
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return here.appendingPathComponent("adaptive-eq").path
}()

typealias CLIResult = ProcessResult

/// Runs the CLI with a time limit (a hang is a failure, not a stuck suite).
@discardableResult
func runCLI(_ arguments: [String], in folder: String? = nil, environment: [String: String] = [:],
            timeout: TimeInterval = 120) throws -> CLIResult {
    let r = try runProcess(cliPath, arguments, in: folder, environment: environment, timeout: timeout)
    if r.timedOut { Issue.record("adaptive-eq \(arguments.joined(separator: " ")) did not finish within \(timeout) s") }
    return r
}

/// Planar audio: channels × frames.
struct Audio {
    var sampleRate: Int
    var channels: [[Float]]
    var frameCount: Int { channels.first?.count ?? 0 }
}

func readAudio(_ path: String) throws -> Audio {
    let reader = try AudioFileReader(path: path)
    return Audio(sampleRate: reader.sampleRate, channels: reader.readAllPlanar())
}

/// Writes a float WAV (so comparisons are exact).
func writeAudio(_ audio: Audio, to path: String, encoding: AudioFormat.Encoding = .float32) throws {
    let writer = try AudioFileWriter(path: path, sampleRate: audio.sampleRate, channelCount: audio.channels.count,
                                     like: AudioFormat(container: .wav, encoding: encoding), overwrite: true)
    let c = audio.channels.count
    var interleaved = [Float](repeating: 0, count: audio.frameCount * c)
    for i in 0..<audio.frameCount { for ch in 0..<c { interleaved[i * c + ch] = audio.channels[ch][i] } }
    if audio.frameCount > 0 {
        try interleaved.withUnsafeBufferPointer { try writer.write($0.baseAddress!, frames: audio.frameCount) }
    }
    try writer.finish()
}

/// Real recordings for direction checks: Debian's sonic-pi-samples loops when installed,
/// and the bundled demo clip (which is built from them).
func musicClips() -> [String] {
    let folder = "/usr/share/sonic-pi/samples"
    let names = ["loop_mika", "loop_compus", "loop_garzul", "loop_amen_full", "loop_breakbeat", "loop_safari"]
    let found = names.map { "\(folder)/\($0).flac" }.filter { FileManager.default.fileExists(atPath: $0) }
    let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/AdaptiveEQResources/Resources/demo.flac").path
    return found + [demo]
}

/// Pink noise at about -30 dBFS RMS (Paul Kellet's filter on seeded white noise).
func pinkNoise(frames: Int, seed: UInt64 = 11) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    var b = [Float](repeating: 0, count: 7), x = [Float](repeating: 0, count: frames)
    for i in x.indices {
        let w = Float.random(in: -1...1, using: &rng)
        b[0] = 0.99886 * b[0] + w * 0.0555179; b[1] = 0.99332 * b[1] + w * 0.0750759
        b[2] = 0.96900 * b[2] + w * 0.1538520; b[3] = 0.86650 * b[3] + w * 0.3104856
        b[4] = 0.55000 * b[4] + w * 0.5329522; b[5] = -0.7616 * b[5] - w * 0.0168980
        x[i] = 0.02 * (b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362); b[6] = w * 0.115926
    }
    return x
}
