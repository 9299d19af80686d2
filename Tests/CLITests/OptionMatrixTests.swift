import AEQTestSupport
import AudioFile
import Foundation
import Testing

/// Every valid combination of `process` options renders: finite samples, full length, the
/// input's channels and rate. The options span five ranges (block size, analysis interval,
/// smoothing time, sample rate, channel count) and three modes; a covering design of strength
/// 4 runs every combination of values of any four options at least once, range edges
/// included (the crash below needed four at once: a long block, a long analysis interval,
/// adaptive mode and a rate near 44.1 kHz).
@Suite(.serialized) struct OptionMatrixTests {
    static let blockSizes = [1, 7, 512, 4096, 65_536]
    static let analysisMilliseconds: [Float] = [5, 46.4, 800, 1000]
    static let smoothingMilliseconds: [Float] = [0, 100, 2000]
    static let sampleRates = [8_000, 44_100, 96_000, 192_000]
    static let channelCounts = [1, 2, 5, 8]
    static let modes = ["adaptive", "static", "manual"]

    /// Long enough that a 65536-frame block at 44.1 kHz spans more than 64 mel frames.
    static let seconds = 1.6

    /// The crash that started this: one block longer than the engine's mel history.
    @Test func longBlocksWithLongAnalysisIntervalsRender() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try checkRender(Combination(blockSize: 65_536, analysisMilliseconds: 800, smoothingMilliseconds: 100,
                                    sampleRate: 44_100, channels: 2, mode: "adaptive"), in: dir)
    }

    @Test func everyFourOptionValuesRenderTogether() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let levels = [Self.blockSizes.count, Self.analysisMilliseconds.count, Self.smoothingMilliseconds.count,
                      Self.sampleRates.count, Self.channelCounts.count, Self.modes.count]
        let rows = coveringDesign(levels: levels, strength: 4)
        #expect(covers(rows, levels: levels, strength: 4))
        for row in rows {
            try checkRender(Combination(blockSize: Self.blockSizes[row[0]],
                                        analysisMilliseconds: Self.analysisMilliseconds[row[1]],
                                        smoothingMilliseconds: Self.smoothingMilliseconds[row[2]],
                                        sampleRate: Self.sampleRates[row[3]], channels: Self.channelCounts[row[4]],
                                        mode: Self.modes[row[5]]), in: dir)
        }
        print("option matrix: \(rows.count) renders cover every 4 option values of \(levels.reduce(1, *)) combinations")
    }

    struct Combination: CustomStringConvertible {
        var blockSize: Int, analysisMilliseconds: Float, smoothingMilliseconds: Float
        var sampleRate: Int, channels: Int, mode: String

        var arguments: [String] {
            let word = mode == "manual" ? ["--eq", "6,120,-4,400,2,3,1500,0.5,-6,4000,4,6,9000"]
                : ["--term", "warm", "--term-b", "airy", "--blend", "0.4", "--intensity", "1", "--mode", mode]
            return word + ["--block-size", "\(blockSize)", "--analysis-ms", "\(analysisMilliseconds)",
                           "--smoothing-ms", "\(smoothingMilliseconds)"]
        }

        var description: String { "\(channels) ch, \(sampleRate) Hz, " + arguments.joined(separator: " ") }
    }

    func checkRender(_ c: Combination, in dir: String) throws {
        let input = "\(dir)/in-\(c.sampleRate)-\(c.channels).wav", output = "\(dir)/out.wav"
        if !FileManager.default.fileExists(atPath: input) {
            try writeAudio(testSignal(sampleRate: c.sampleRate, channels: c.channels), to: input)
        }
        let r = try runCLI(["process", input, output, "--force"] + c.arguments)
        try #require(r.status == 0, "\(c): exit \(r.status): \(r.stderr)")
        let x = try readAudio(input), y = try readAudio(output)
        #expect(y.sampleRate == c.sampleRate && y.channels.count == c.channels, "\(c)")
        #expect(y.frameCount == x.frameCount, "\(c): \(y.frameCount) of \(x.frameCount) frames")
        #expect(y.channels.allSatisfy { $0.allSatisfy(\.isFinite) }, "\(c): non-finite output")
        let change = zip(x.channels, y.channels).map { a, b in zip(a, b).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        #expect(change > 1e-3, "\(c): the EQ should change the signal")
    }

    /// Noise plus a low and a high sine, different per channel, at −12 dBFS or so.
    func testSignal(sampleRate: Int, channels: Int) -> Audio {
        var rng = SeededGenerator(seed: UInt64(sampleRate * 10 + channels))
        let n = Int(Self.seconds * Double(sampleRate))
        let planar = (0..<channels).map { c -> [Float] in
            (0..<n).map { i in
                let t = Double(i) / Double(sampleRate)
                let tones = 0.15 * sin(2 * .pi * 110 * Double(c + 1) * t) + 0.1 * sin(2 * .pi * 3100 * t)
                return Float(tones) + Float.random(in: -0.05...0.05, using: &rng)
            }
        }
        return Audio(sampleRate: sampleRate, channels: planar)
    }
}

/// A covering design of strength `t` over factors with `levels[i]` values each: rows of value
/// indices in which every combination of values of any `t` factors appears at least once.
/// Greedy and deterministic: each row starts from the first uncovered combination and fills
/// the other factors, one by one, with the value that covers most still-uncovered ones.
func coveringDesign(levels: [Int], strength t: Int) -> [[Int]] {
    let groups = factorGroups(count: levels.count, size: t)
    var uncovered = Set<[Int]>()
    for g in groups { for values in valueTuples(g.map { levels[$0] }) { uncovered.insert(zip(g, values).flatMap { [$0, $1] }) } }
    var rows: [[Int]] = []
    while let seed = uncovered.min(by: { $0.lexicographicallyPrecedes($1) }) {
        var row = [Int](repeating: -1, count: levels.count)
        for i in stride(from: 0, to: seed.count, by: 2) { row[seed[i]] = seed[i + 1] }
        for f in levels.indices where row[f] < 0 {
            func gain(_ v: Int) -> Int {
                var trial = row
                trial[f] = v
                return groups.filter { g in g.contains(f) && g.allSatisfy { trial[$0] >= 0 } }
                    .filter { g in uncovered.contains(g.flatMap { [$0, trial[$0]] }) }.count
            }
            row[f] = (0..<levels[f]).max { gain($0) < gain($1) } ?? 0
        }
        for g in groups { uncovered.remove(g.flatMap { [$0, row[$0]] }) }
        rows.append(row)
    }
    return rows
}

/// Whether `rows` hold every combination of values of any `t` factors.
func covers(_ rows: [[Int]], levels: [Int], strength t: Int) -> Bool {
    let present = Set(rows.flatMap { row in factorGroups(count: levels.count, size: t).map { g in g.flatMap { [$0, row[$0]] } } })
    return factorGroups(count: levels.count, size: t).allSatisfy { g in
        valueTuples(g.map { levels[$0] }).allSatisfy { present.contains(zip(g, $0).flatMap { [$0, $1] }) }
    }
}

/// All increasing index tuples of `size` out of `0..<count`.
func factorGroups(count: Int, size: Int) -> [[Int]] {
    guard size > 0 else { return [[]] }
    guard count >= size else { return [] }
    return factorGroups(count: count - 1, size: size - 1).map { $0 + [count - 1] } + factorGroups(count: count - 1, size: size)
}

/// Every tuple of value indices for factors with the given level counts.
func valueTuples(_ levels: [Int]) -> [[Int]] {
    levels.reduce([[]]) { tuples, n in tuples.flatMap { t in (0..<n).map { t + [$0] } } }
}
