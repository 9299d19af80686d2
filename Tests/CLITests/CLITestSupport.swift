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

struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the CLI with a time limit (a hang is a failure, not a stuck suite).
@discardableResult
func runCLI(_ arguments: [String], in folder: String? = nil, timeout: TimeInterval = 120) throws -> CLIResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: cliPath)
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
    // Output goes to files: nothing to drain, so a chatty child can never block.
    let stem = NSTemporaryDirectory() + "aeq-cli-\(UUID().uuidString)"
    FileManager.default.createFile(atPath: stem + ".out", contents: nil)
    FileManager.default.createFile(atPath: stem + ".err", contents: nil)
    defer { try? FileManager.default.removeItem(atPath: stem + ".out"); try? FileManager.default.removeItem(atPath: stem + ".err") }
    process.standardOutput = FileHandle(forWritingAtPath: stem + ".out")
    process.standardError = FileHandle(forWritingAtPath: stem + ".err")
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(5_000) }
    if process.isRunning {
        process.terminate()
        Issue.record("adaptive-eq \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
    }
    process.waitUntilExit()
    let outData = FileManager.default.contents(atPath: stem + ".out") ?? Data()
    let errData = FileManager.default.contents(atPath: stem + ".err") ?? Data()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                     stderr: String(decoding: errData, as: UTF8.self))
}

/// Planar audio: channels × frames.
struct Audio {
    var sampleRate: Int
    var channels: [[Float]]
    var frameCount: Int { channels.first?.count ?? 0 }
}

func readAudio(_ path: String) throws -> Audio {
    let reader = try AudioFileReader(path: path)
    let c = reader.channelCount
    var planar = [[Float]](repeating: [], count: c)
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 4096 * c)
    defer { buffer.deallocate() }
    while true {
        let n = reader.read(into: buffer, frames: 4096)
        if n <= 0 { break }
        for i in 0..<n { for ch in 0..<c { planar[ch].append(buffer[i * c + ch]) } }
    }
    return Audio(sampleRate: reader.sampleRate, channels: planar)
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
