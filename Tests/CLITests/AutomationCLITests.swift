import AEQTestSupport
import Foundation
import Testing

/// `adaptive-eq process … --automation FILE`: automated renders through the host layer.
@Suite(.serialized) struct AutomationCLITests {
    /// Sines at 100 Hz + 1 kHz, −12 dBFS each (EVALUATION.md's click signal).
    func sines(seconds: Int, fs: Double = 44_100) -> Audio {
        let n = seconds * Int(fs)
        return Audio(sampleRate: Int(fs), channels: [(0..<n).map { i in
            Float(0.251 * sin(2 * .pi * 100 * Double(i) / fs) + 0.251 * sin(2 * .pi * 1000 * Double(i) / fs))
        }])
    }

    /// Points that repeat the starting controls change nothing: the render is bit-identical
    /// to one without automation, although its blocks are cut at the points.
    @Test func repeatedControlsChangeNothing() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeAudio(sines(seconds: 3), to: "\(dir)/in.wav")
        try "time,term,intensity\n0,warm,0.6\n0.7311,warm,0.6\n2.5,,0.6\n".write(toFile: "\(dir)/a.csv", atomically: true, encoding: .utf8)
        let flags = ["--term", "warm", "--intensity", "0.6"]
        let plain = try runCLI(["process", "\(dir)/in.wav", "\(dir)/plain.wav"] + flags)
        let automated = try runCLI(["process", "\(dir)/in.wav", "\(dir)/auto.wav", "--automation", "\(dir)/a.csv"] + flags)
        #expect(plain.status == 0 && automated.status == 0, "\(plain.stderr) \(automated.stderr)")
        #expect(try readAudio("\(dir)/plain.wav").channels == readAudio("\(dir)/auto.wav").channels)
    }

    /// The automation takes effect at its time: intensity 0 (an exact null) until 1 s, then 1.
    @Test func changesHappenAtTheirTime() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let x = sines(seconds: 3)
        try writeAudio(x, to: "\(dir)/in.wav")
        try #"[{"time": 0, "intensity": 0}, {"time": 1, "term": "bright", "intensity": 1}]"#
            .write(toFile: "\(dir)/a.json", atomically: true, encoding: .utf8)
        let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", "warm", "--automation", "\(dir)/a.json"])
        #expect(r.status == 0, "\(r.stderr)")
        let y = try readAudio("\(dir)/out.wav").channels[0]
        let before = zip(x.channels[0][..<44_100], y[..<44_100]).map { abs($0 - $1) }.max()!
        let after = zip(x.channels[0][66_150...], y[66_150...]).map { abs($0 - $1) }.max()!
        #expect(before <= 1e-6, "changed before the point: \(before)")
        #expect(after > 0.01, "no change after the point: \(after)")
    }

    /// EVALUATION.md's click test on files: the word jumps warm → bright (intensity 1), the
    /// intensity jumps 0 → 1, the mode switches, the EQ is bypassed; the output high-passed
    /// at 8 kHz (4th order) stays at or below −80 dBFS around the jump.
    @Test(arguments: [
        ("word", "time,term\n3,bright\n", ["--intensity", "1"]),
        ("intensity", "time,intensity\n3,1\n", ["--intensity", "0"]),
        ("mode", "time,mode\n3,static\n", ["--intensity", "1"]),
        ("bypass", "time,enabled\n3,off\n", ["--intensity", "1"]),
    ])
    func automatedJumpsDoNotClick(what: String, automation: String, flags: [String]) throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeAudio(sines(seconds: 5), to: "\(dir)/in.wav")
        try automation.write(toFile: "\(dir)/a.csv", atomically: true, encoding: .utf8)
        let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", "warm", "--automation", "\(dir)/a.csv"] + flags)
        #expect(r.status == 0, "\(r.stderr)")
        let y = try readAudio("\(dir)/out.wav").channels[0]
        let jump = 3 * 44_100
        let hp = butterworthHighPass4(y, cutoffHz: 8000, sampleRateHz: 44_100)
        let peak = 20 * log10(hp[(jump - 22_050)..<(jump + 44_100)].map(abs).max()! + 1e-30)
        #expect(peak <= -80, "\(what) jump: high-passed peak \(peak) dBFS")
    }

    /// A bad automation file stops before rendering, with one line naming file and line.
    @Test func badAutomationNamesTheLine() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeAudio(sines(seconds: 1), to: "\(dir)/in.wav")
        try "time,term\n0,warm\n0.5,wram\n".write(toFile: "\(dir)/a.csv", atomically: true, encoding: .utf8)
        let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", "warm", "--automation", "\(dir)/a.csv"])
        #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("automation '\(dir)/a.csv' line 3: unknown word 'wram'"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.wav"))
        let missing = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", "warm", "--automation", "\(dir)/none.csv"])
        #expect(missing.status == 1 && missing.stderr.contains("cannot read automation file"), "\(missing.stderr)")
    }

    /// A render that starts on --eq can automate into word modes.
    @Test func manualStartCanAutomateWords() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeAudio(sines(seconds: 2), to: "\(dir)/in.wav")
        try "time,mode,term,g1\n0.5,,,6\n1,static,bright,\n".write(toFile: "\(dir)/a.csv", atomically: true, encoding: .utf8)
        let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--eq", "0,100,0,300,1,0,1000,1,0,3000,1,0,8000",
                            "--automation", "\(dir)/a.csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let y = try readAudio("\(dir)/out.wav").channels[0]
        #expect(y.count == 88_200 && y.allSatisfy { $0.isFinite })
    }
}
