import AEQTestSupport
import AdaptiveEQ
import AudioFile
import EQDSP
import Foundation
import Testing

/// The repository root (this file is Tests/LV2Tests/HostSupport.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Whether `program` is on PATH. Host tests run only when their host is installed.
func hostAvailable(_ program: String) -> Bool {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
}

/// The `adaptive-eq` executable built beside the test bundle (or $AEQ_BIN).
let cliPath: String = {
    if let bin = ProcessInfo.processInfo.environment["AEQ_BIN"] { return bin }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("adaptive-eq").path
}()

typealias RunResult = ProcessResult

/// Runs a program with a time limit (a hang is recorded as a failure).
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
         timeout: TimeInterval = 120) throws -> RunResult {
    let r = try runProcess(executable, arguments, environment: environment, timeout: timeout)
    if r.timedOut { Issue.record("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s") }
    return r
}

/// Folder holding `adaptive-eq.lv2`: $AEQ_LV2_BUNDLE, or the bundle `scripts/build-lv2.sh
/// --no-install` assembles (incremental after the first build).
let lv2BundleFolder: Result<String, BundleBuildError> = {
    if let folder = ProcessInfo.processInfo.environment["AEQ_LV2_BUNDLE"] { return .success(folder) }
    do {
        let result = try run(repositoryRoot + "/scripts/build-lv2.sh", ["--no-install"], timeout: 900)
        guard result.status == 0, let bundle = result.stdout.split(separator: "\n").last.map(String.init) else {
            return .failure(BundleBuildError(message: "scripts/build-lv2.sh failed:\n\(result.stderr.suffix(3000))"))
        }
        return .success(URL(fileURLWithPath: bundle).deletingLastPathComponent().path)
    } catch {
        return .failure(BundleBuildError(message: "cannot run scripts/build-lv2.sh: \(error)"))
    }
}()

struct BundleBuildError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// LV2_PATH that finds the bundle first and keeps the system specs (setting LV2_PATH replaces
/// the default search path).
func lv2Path(_ folder: String) -> String { "\(folder):/usr/lib/lv2:/usr/local/lib/lv2" }

/// The shipped static vocabulary.
func staticTerms() throws -> StaticTermTable {
    let text = try String(contentsOfFile: repositoryRoot + "/Sources/AdaptiveEQResources/Resources/static_terms.tsv",
                          encoding: .utf8)
    return try StaticTermTable(tsv: text)
}

/// Planar audio read from a file.
struct Audio {
    var sampleRate: Int
    var channels: [[Float]]
    var frameCount: Int { channels.first?.count ?? 0 }

    init(sampleRate: Int, channels: [[Float]]) {
        self.sampleRate = sampleRate
        self.channels = channels
    }

    init(path: String) throws {
        let reader = try AudioFileReader(path: path)
        sampleRate = reader.sampleRate
        let n = reader.channelCount
        var planar = [[Float]](repeating: [], count: n)
        let chunk = 4096
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * n)
        defer { buffer.deallocate() }
        while true {
            let got = reader.read(into: buffer, frames: chunk)
            if got <= 0 { break }
            for c in 0..<n { for i in 0..<got { planar[c].append(buffer[i * n + c]) } }
        }
        channels = planar
    }

    /// Writes 32-bit float WAV.
    func write(_ path: String) throws {
        let n = channels.count
        let writer = try AudioFileWriter(path: path, sampleRate: sampleRate, channelCount: n,
                                         like: AudioFormat(container: .wav, encoding: .float32), overwrite: true)
        var interleaved = [Float](repeating: 0, count: frameCount * n)
        for c in 0..<n { for i in 0..<frameCount { interleaved[i * n + c] = channels[c][i] } }
        try interleaved.withUnsafeBufferPointer { try writer.write($0.baseAddress!, frames: frameCount) }
        try writer.finish()
    }

    /// Seeded noise with a little of every band (white plus a few tones), at -10 dBFS-ish.
    static func testSignal(sampleRate: Int, channels: Int, seconds: Double, seed: UInt64) -> Audio {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state) >> 11) / Float(1 << 52)
        }
        let frames = Int(seconds * Double(sampleRate))
        var planar = [[Float]](repeating: [Float](repeating: 0, count: frames), count: channels)
        for c in 0..<channels {
            for i in 0..<frames {
                let t = Double(i) / Double(sampleRate)
                let tones = 0.1 * sin(2 * .pi * 110 * t) + 0.05 * sin(2 * .pi * 2_500 * t + Double(c))
                planar[c][i] = 0.15 * next() + Float(tones)
            }
        }
        return Audio(sampleRate: sampleRate, channels: planar)
    }
}

/// Renders `channels` through an `EQProcessor` snapped to `settings` (what the CLI does).
func equalise(_ channels: [[Float]], sampleRate: Int, settings: EQSettings) -> [[Float]] {
    var processor = EQProcessor()
    processor.prepare(sampleRateHz: Float(sampleRate), channelCount: channels.count)
    processor.setTargets(settings)
    processor.snapToTargets()
    var out = channels
    let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channels.count)
    defer { pointers.deallocate() }
    let buffers = channels.map { c -> UnsafeMutablePointer<Float> in
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(c.count, 1))
        p.initialize(from: c, count: c.count)
        return p
    }
    for (i, b) in buffers.enumerated() { pointers[i] = b }
    processor.process(pointers, frameCount: channels[0].count)
    for (i, b) in buffers.enumerated() {
        out[i] = Array(UnsafeBufferPointer(start: b, count: channels[i].count))
        b.deallocate()
    }
    return out
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i])) }
    return worst
}

func rms(_ x: ArraySlice<Float>) -> Double {
    (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(x.count, 1))).squareRoot()
}
