import AEQTestSupport
import AudioFile
import EQDSP
import Foundation
import Testing

/// End-to-end checks of `adaptive-eq` as a user runs it: real files in, real files out.
@Suite(.serialized) struct ProcessCommandTests {
    /// `--eq` on an impulse matches the analytic RBJ response within 0.1 dB, 20 Hz … 0.45·fs.
    @Test(arguments: [44_100, 48_000, 96_000])
    func manualEQMatchesAnalyticResponse(sampleRate: Int) throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: UInt64(sampleRate))
        var impulse = [Float](repeating: 0, count: sampleRate / 2)
        impulse[0] = 0.5
        try writeAudio(Audio(sampleRate: sampleRate, channels: [impulse]), to: "\(dir)/imp.wav")
        var worst = 0.0
        for _ in 0..<2 {
            var s = EQSettings { p in
                let r = p.range
                return p.unit == .decibels ? Float.random(in: r, using: &rng)
                    : exp(Float.random(in: log(r.lowerBound)...log(r.upperBound), using: &rng))
            }
            s.f5 = min(s.f5, 0.4 * Float(sampleRate))
            let list = s.values.map { String($0) }.joined(separator: ",")
            let r = try runCLI(["process", "\(dir)/imp.wav", "\(dir)/out.wav", "--eq", list, "--force"])
            #expect(r.status == 0, "\(r.stderr)")
            let y = try readAudio("\(dir)/out.wav").channels[0].map { $0 / 0.5 }
            for f in stride(from: log(20.0), through: log(0.45 * Double(sampleRate)), by: 0.05).map(exp) {
                let measured = dtftMagnitudeDecibels(y, frequencyHz: f, sampleRateHz: Double(sampleRate))
                worst = max(worst, abs(measured - s.magnitudeDecibels(atFrequency: f, sampleRateHz: Double(sampleRate))))
            }
        }
        #expect(worst <= 0.1, "manual EQ deviates by \(worst) dB at \(sampleRate) Hz")
    }

    /// "warm" lowers and "bright" raises the spectral centroid of real recordings.
    @Test func warmLowersAndBrightRaisesTheCentroidOfMusic() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clips = musicClips()
        #expect(clips.count >= 1)
        for clip in clips {
            let original = try readAudio(clip)
            let c0 = spectralCentroid(channels: original.channels, sampleRate: original.sampleRate)
            var centroids: [String: Double] = [:]
            for word in ["warm", "bright"] {
                let r = try runCLI(["process", clip, "\(dir)/\(word).wav", "--term", word, "--intensity", "1", "--mode", "static"])
                #expect(r.status == 0, "\(r.stderr)")
                let out = try readAudio("\(dir)/\(word).wav")
                centroids[word] = spectralCentroid(channels: out.channels, sampleRate: out.sampleRate)
            }
            #expect(centroids["warm"]! < c0 && c0 < centroids["bright"]!,
                    "\(clip): warm \(centroids["warm"]!) / original \(c0) / bright \(centroids["bright"]!) Hz")
            try? FileManager.default.removeItem(atPath: "\(dir)/warm.wav")
            try? FileManager.default.removeItem(atPath: "\(dir)/bright.wav")
        }
    }

    @Test func intensityZeroIsANull() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 11)
        let x = Audio(sampleRate: 44_100, channels: (0..<2).map { _ in (0..<30_000).map { _ in Float.random(in: -1...1, using: &rng) } })
        try writeAudio(x, to: "\(dir)/in.wav")
        let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", "warm", "--intensity", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let y = try readAudio("\(dir)/out.wav")
        let diff = zip(x.channels.joined(), y.channels.joined()).map { abs($0 - $1) }.max() ?? 1
        #expect(y.frameCount == x.frameCount && diff <= 1e-6)
    }

    /// --output-gain-db scales the output; going over full scale is reported on stderr
    /// (clipped in fixed-point files, kept in float ones) and stays silent otherwise.
    @Test func outputGainAndHeadroomWarning() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let x = Audio(sampleRate: 44_100, channels: [(0..<20_000).map { i in 0.9 * sinf(Float(i) * 2 * .pi * 60 / 44_100) }])
        try writeAudio(x, to: "\(dir)/in.wav", encoding: .pcm24)
        try writeAudio(x, to: "\(dir)/in_float.wav")
        let flat = "0,100,0,300,1,0,1000,1,0,3000,1,0,8000"
        let boost = "12,200,0,300,1,0,1000,1,0,3000,1,0,8000"   // +12 dB under 200 Hz

        let halved = try runCLI(["process", "\(dir)/in_float.wav", "\(dir)/half.wav", "--eq", flat, "--output-gain-db", "-6.0206"])
        #expect(halved.status == 0 && !halved.stderr.contains("warning"), "\(halved.stderr)")
        let y = try readAudio("\(dir)/half.wav")
        let error = zip(x.channels[0], y.channels[0]).map { abs($0 * 0.5 - $1) }.max() ?? 1
        #expect(error < 1e-6, "-6.02 dB is not half the amplitude (error \(error))")

        let kept = try runCLI(["process", "\(dir)/in_float.wav", "\(dir)/loud_float.wav", "--eq", boost])
        #expect(kept.stderr.contains("kept in the float file"), "no float headroom note: \(kept.stderr)")
        let unclipped = try readAudio("\(dir)/loud_float.wav").channels[0]
        let peak = unclipped.map(abs).max() ?? 0
        #expect(peak > 1.5, "the boost should go well over full scale (peak \(peak))")

        // A 24-bit output of the same render never clips: the overs are limited to -0.1 dBFS, by
        // at most 6 dB; this one goes 11 dB over, so the whole file is first lowered by the rest.
        let inputBefore = try readAudio("\(dir)/in.wav").channels[0]
        let lowered = try runCLI(["process", "\(dir)/in.wav", "\(dir)/loud.wav", "--eq", boost])
        #expect(lowered.status == 0, "\(lowered.stderr)")
        let overDecibels = 20 * log10(Double(peak)) + 0.1
        #expect(lowered.stderr.contains("lowered by \(String(format: "%.2f", overDecibels - 6)) dB and peaks limited by up to 6.00 dB"),
                "no fit line: \(lowered.stderr)")
        let loud = try readAudio("\(dir)/loud.wav").channels[0]
        let loudPeak = loud.map(abs).max() ?? 0
        #expect(abs(20 * log10(Double(loudPeak)) + 0.1) < 0.01, "peak \(loudPeak) should sit at -0.1 dBFS")
        // Every sample is the float render lowered by the whole-file gain and at most 6 dB more.
        let scale = Float(pow(10, -(overDecibels - 6) / 20))
        let gains = zip(loud, unclipped).filter { abs($1) > 0.01 }.map { $0 / ($1 * scale) }
        #expect(gains.allSatisfy { $0 <= 1 + 1e-4 && $0 >= 0.5 - 1e-4 }, "limiter gains \(gains.min()!) … \(gains.max()!)")
        let inputAfter = try readAudio("\(dir)/in.wav").channels[0]
        #expect(inputAfter == inputBefore, "the input must stay untouched")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "scratch files left behind: \(leftovers)")

        let quiet = try runCLI(["process", "\(dir)/in.wav", "\(dir)/fits.wav", "--eq", boost, "--output-gain-db", "-13"])
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"), "\(quiet.stderr)")

        let bad = try runCLI(["process", "\(dir)/in.wav", "\(dir)/bad.wav", "--eq", flat, "--output-gain-db", "40"])
        #expect(bad.status != 0 && bad.stderr.contains("--output-gain-db"), "\(bad.stderr)")
    }

    @Test func blockSizeDoesNotChangeTheOutput() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 12)
        let x = Audio(sampleRate: 48_000, channels: (0..<2).map { _ in (0..<20_000).map { _ in Float.random(in: -0.5...0.5, using: &rng) } })
        try writeAudio(x, to: "\(dir)/in.wav")
        var outputs: [[Float]] = []
        for size in [1, 64, 512, 4096] {
            let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/o\(size).wav", "--term", "bright", "--block-size", "\(size)"])
            #expect(r.status == 0, "\(r.stderr)")
            outputs.append(Array(try readAudio("\(dir)/o\(size).wav").channels.joined()))
        }
        for o in outputs.dropFirst() {
            #expect(zip(outputs[0], o).map { abs($0 - $1) }.max()! <= 1e-6)
        }
    }

    @Test(arguments: [1, 2, 3, 6, 8])
    func anyChannelCountFromOneToEight(channels: Int) throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let x = Audio(sampleRate: 44_100, channels: (0..<channels).map { c in (0..<5000).map { i in sinf(Float(i * (c + 1)) * 0.01) * 0.5 } })
        try writeAudio(x, to: "\(dir)/in.wav", encoding: .pcm24)
        let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.flac", "--term", "warm"])
        #expect(r.status == 0, "\(r.stderr)")
        let y = try readAudio("\(dir)/out.flac")
        #expect(y.channels.count == channels && y.frameCount == 5000 && y.sampleRate == 44_100)
    }

    @Test(arguments: [8_000, 11_025, 22_050, 176_400, 192_000])
    func extremeSampleRatesGiveFiniteOutput(sampleRate: Int) throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 13)
        let x = Audio(sampleRate: sampleRate, channels: [(0..<sampleRate / 4).map { _ in Float.random(in: -1...1, using: &rng) }])
        try writeAudio(x, to: "\(dir)/in.wav")
        let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", "bright", "--intensity", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let y = try readAudio("\(dir)/out.wav")
        #expect(y.sampleRate == sampleRate && y.frameCount == x.frameCount)
        #expect(y.channels[0].allSatisfy { $0.isFinite })
    }

    @Test func nanInfinitySilenceAndFullScaleNoiseGiveFiniteOutput() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SeededGenerator(seed: 14)
        let nasty: [Float] = (0..<10_000).map { i in
            switch i % 1000 { case 1: .nan; case 2: .infinity; case 3: -.infinity; default: Float.random(in: -1...1, using: &rng) }
        }
        let cases: [(String, [Float])] = [("nan", nasty), ("silence", [Float](repeating: 0, count: 10_000)),
                                          ("noise", (0..<10_000).map { i in i % 2 == 0 ? 1 : -1 })]
        for (name, samples) in cases {
            try writeAudio(Audio(sampleRate: 44_100, channels: [samples, samples]), to: "\(dir)/\(name).wav")
            let r = try runCLI(["process", "\(dir)/\(name).wav", "\(dir)/\(name)-out.wav", "--term", "warm", "--intensity", "1"])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            let y = try readAudio("\(dir)/\(name)-out.wav")
            #expect(y.channels.joined().allSatisfy { $0.isFinite }, "\(name) produced non-finite output")
            if name == "silence" { #expect(y.channels.joined().allSatisfy { $0 == 0 }) }
        }
    }
}

/// Every bad input gets one clear line on stderr, a non-zero exit, and leaves files alone.
@Suite(.serialized) struct BadInputTests {
    func expectFailure(_ args: [String], mentions fragment: String, in dir: String? = nil) throws {
        let r = try runCLI(args, in: dir)
        #expect(r.status != 0, "adaptive-eq \(args.joined(separator: " ")) succeeded")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "expected one line on stderr, got: \(r.stderr)")
        #expect(r.stderr.contains(fragment), "stderr '\(r.stderr)' lacks '\(fragment)'")
    }

    @Test func badFilesAndArguments() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = "\(dir)/good.wav"
        try writeAudio(Audio(sampleRate: 44_100, channels: [[Float](repeating: 0.1, count: 1000)]), to: good)
        FileManager.default.createFile(atPath: "\(dir)/empty.wav", contents: Data())
        FileManager.default.createFile(atPath: "\(dir)/notes.txt", contents: Data("not audio at all".utf8))
        var corrupt = Data("RIFF".utf8) + Data([0xff, 0xff, 0, 0]) + Data("WAVEfmt ".utf8)
        corrupt += Data((0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        FileManager.default.createFile(atPath: "\(dir)/corrupt.wav", contents: corrupt)

        try expectFailure(["process", "\(dir)/empty.wav", "\(dir)/o.wav", "--term", "warm"], mentions: "cannot read")
        try expectFailure(["process", "\(dir)/notes.txt", "\(dir)/o.wav", "--term", "warm"], mentions: "not a recognised audio file")
        try expectFailure(["process", "\(dir)/corrupt.wav", "\(dir)/o.wav", "--term", "warm"], mentions: "cannot read")
        try expectFailure(["process", "\(dir)/missing.wav", "\(dir)/o.wav", "--term", "warm"], mentions: "no such file")
        try expectFailure(["process", dir, "\(dir)/o.wav", "--term", "warm"], mentions: "is a folder")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "wrm"], mentions: "nearest known words: warm")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "warm", "--intensity", "1.5"], mentions: "--intensity")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "warm", "--intensity", "nan"], mentions: "intensity")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "warm", "--intensity", "-0.1"], mentions: "--intensity must be 0 … 1")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "warm", "--block-size", "0"], mentions: "--block-size")
        try expectFailure(["process", good, "\(dir)/o.wav"], mentions: "--term")
        try expectFailure(["process", good, "\(dir)/o.wav", "--eq", "1,2,3"], mentions: "13 comma-separated values")
        try expectFailure(["process", good, "\(dir)/o.wav", "--eq", "0,100,0,300,0.7,0,1000,0.7,0,3000,0.7,13,8000"], mentions: "g5")
        try expectFailure(["process", good, "\(dir)/o.wav", "--eq", "0,10,0,300,0.7,0,1000,0.7,0,3000,0.7,0,8000"], mentions: "f1")
        try expectFailure(["process", good, "\(dir)/o.wav", "--eq", "0,100,0,300,0,0,1000,0.7,0,3000,0.7,0,8000"], mentions: "q2")
        try expectFailure(["process", good, "\(dir)/o.wav", "--eq", "0,100,x,300,0.7,0,1000,0.7,0,3000,0.7,0,8000"], mentions: "not a number")
        try expectFailure(["process", good, "\(dir)/o.mp3", "--term", "warm"], mentions: ".wav, .flac or .aiff")
        try expectFailure(["process", good, "\(dir)/no/such/folder/o.wav", "--term", "warm"], mentions: "cannot write")
        // The word and engine flags are one shared definition: the same ranges and messages in
        // every command that takes them (negative numbers reach the range check too).
        try expectFailure(["analyze", good, "--intensity", "-0.5"], mentions: "--intensity must be 0 … 1, got -0.5")
        try expectFailure(["live", "--intensity", "1.5"], mentions: "--intensity must be 0 … 1, got 1.5")
        try expectFailure(["live", "--analysis-ms", "4"], mentions: "--analysis-ms must be 5 … 1000 ms, got 4.0")
        try expectFailure(["live", "--correction-limit-db", "-1"], mentions: "--correction-limit-db must be")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "warm", "--blend", "-0.01"], mentions: "--blend must be 0 … 1")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "warm", "--smoothing-ms", "2001"], mentions: "--smoothing-ms must be 0 … 2000 ms")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "warm", "--block-size", "-1"], mentions: "--block-size must be")
        try expectFailure(["bench", "--blocks", "0"], mentions: "--blocks must be 100…1000000, got 0")
        try expectFailure(["bench", "--blocks", "-1"], mentions: "--blocks must be")
        try expectFailure(["bench", "--blocks", "99999999999"], mentions: "--blocks must be")
        // Summaries whose counts could not come from a run (negative, or adding up past Int).
        let huge = #"{"audio_seconds":5,"cpu_seconds":0,"failed":0,"failures":[],"files":4611686018427387904,"jobs":2,"rendered":4611686018427387904,"skipped":0,"slice":"0/2","wall_seconds":0.1}"#
        let negative = #"{"audio_seconds":-5,"cpu_seconds":0,"failed":0,"failures":[],"files":1,"jobs":1,"rendered":1,"skipped":0,"slice":"1/2","wall_seconds":0.1}"#
        FileManager.default.createFile(atPath: "\(dir)/s0.json", contents: Data(huge.utf8))
        FileManager.default.createFile(atPath: "\(dir)/s1.json", contents: Data(negative.utf8))
        try expectFailure(["merge-summaries", "\(dir)/s0.json", "\(dir)/s0.json"], mentions: "is not a catalogue summary")
        try expectFailure(["merge-summaries", "\(dir)/s1.json"], mentions: "negative or impossibly large")
        try FileManager.default.removeItem(atPath: "\(dir)/s0.json")
        try FileManager.default.removeItem(atPath: "\(dir)/s1.json")
        try writeAudio(Audio(sampleRate: 44_100, channels: [[Float](repeating: 0, count: 44_100)]), to: "\(dir)/silence.wav")
        try expectFailure(["analyze", "\(dir)/silence.wav"], mentions: "is silent")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "wa\nrm"], mentions: "'wa\\nrm' is not a word")
        FileManager.default.createFile(atPath: "\(dir)/afile", contents: Data())
        try expectFailure(["process", good, "--output-dir", "\(dir)/afile", "--term", "warm"], mentions: "is a file, not a folder")
        try expectFailure(["process", good, "--output-dir", "\(dir)/out", "--summary", dir, "--term", "warm"], mentions: "is a folder")
        try FileManager.default.removeItem(atPath: "\(dir)/afile")
        try FileManager.default.removeItem(atPath: "\(dir)/silence.wav")
        // Options --eq would ignore are refused instead of silently doing nothing.
        let flat = "0,100,0,300,0.71,0,1000,0.71,0,3000,0.71,0,8000"
        try expectFailure(["process", good, "\(dir)/o.wav", "--eq", flat, "--intensity", "0.5"],
                          mentions: "--eq applies its 13 parameters as given: --intensity would have no effect")
        try expectFailure(["process", good, "\(dir)/o.wav", "--eq", flat, "--mode", "static", "--term-b", "airy"],
                          mentions: "--mode, --term-b would have no effect")
        try expectFailure(["terms", "hollow", "--static"], mentions: "--static lists the whole SAFE-DB table")
        try expectFailure(["process", good, "\(dir)/o.wav", "--term", "warm", "--blend", "0.5"], mentions: "--blend mixes in a second word")
        try expectFailure(["help", "nope"], mentions: "no subcommand 'nope'")
        #expect(try runCLI(["help", "process"]).status == 0)
        try expectFailure(["frobnicate"], mentions: "adaptive-eq")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/o.wav"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
                == ["corrupt.wav", "empty.wav", "good.wav", "notes.txt"])
    }

    /// A render stopped by SIGINT, SIGTERM (a batch system's time limit) or SIGHUP leaves
    /// neither the output nor its hidden partial and scratch files, and ends as the signal ends
    /// a process. The signal is sent once the partial file exists, i.e. mid-render.
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func stoppedRenderLeavesNoFiles(signal: Int32) throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 16-bit output: the float scratch file exists beside the partial output.
        let frames = 44_100 * 240
        let noise = (0..<frames).map { i in Float(sin(Double(i) * 0.01)) * 0.3 }
        try writeAudio(Audio(sampleRate: 44_100, channels: [noise, noise]), to: "\(dir)/in.wav", encoding: .pcm16)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cliPath)
        process.arguments = ["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", "warm"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        func hidden() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix(".") } }
        while hidden().isEmpty && process.isRunning && Date() < deadline { usleep(2_000) }
        #expect(!hidden().isEmpty, "no partial file appeared while rendering")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
                "ended with \(process.terminationReason.rawValue) \(process.terminationStatus)")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(left == ["in.wav"], "\(left)")
    }

    @Test func inputIsNeverOverwritten() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = "\(dir)/in.wav"
        try writeAudio(Audio(sampleRate: 44_100, channels: [[Float](repeating: 0.1, count: 1000)]), to: input)
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/link.wav", withDestinationPath: input)
        for output in [input, "\(dir)/./in.wav", "\(dir)/link.wav"] {
            try expectFailure(["process", input, output, "--term", "warm", "--force"], mentions: "is the input file")
        }
        try expectFailure(["process", "in.wav", "./in.wav", "--term", "warm", "--force"], mentions: "is the input file", in: dir)
        // An existing output needs --force.
        let other = "\(dir)/other.wav"
        FileManager.default.createFile(atPath: other, contents: Data([7, 7, 7]))
        try expectFailure(["process", input, other, "--term", "warm"], mentions: "--force")
        #expect(FileManager.default.contents(atPath: other) == Data([7, 7, 7]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
        let r = try runCLI(["process", input, other, "--term", "warm", "--force"])
        #expect(r.status == 0)
        #expect(try readAudio(other).frameCount == 1000)
    }
}

@Suite struct OtherCommandTests {
    @Test func termsListsTheVocabularyAsJSON() throws {
        let r = try runCLI(["terms", "--static", "--json"])
        #expect(r.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let terms = try #require(json?["terms"] as? [[String: Any]])
        let warm = try #require(terms.first { $0["word"] as? String == "warm" })
        #expect((warm["rows"] as? Int ?? 0) >= 500)
        #expect((warm["parameters"] as? [Double])?.count == 13)
    }

    /// `terms` shows the EQ static mode applies: the SAFE-DB setting where the static table
    /// has the word, else the word's decoded EQ.
    @Test func termsShowsWhatStaticModeApplies() throws {
        func terms(_ args: [String]) throws -> [String: [String: Any]] {
            let r = try runCLI(["terms", "--json"] + args)
            try #require(r.status == 0, "\(r.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let list = try #require(json?["terms"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: list.map { ($0["word"] as! String, $0) })
        }
        let vocabulary = try terms([]), table = try terms(["--static"])
        var decoded = 0
        for (word, entry) in vocabulary {
            let applied = try #require(entry["applied_parameters"] as? [Double])
            if let row = table[word] {
                #expect(entry["applied_source"] as? String == "safe")
                #expect(applied == row["parameters"] as? [Double], "\(word)")
            } else {
                decoded += 1
                #expect(entry["applied_source"] as? String == "decoded")
                let raw = try #require(entry["parameters"] as? [Double])
                for (p, (a, d)) in zip(EQParameter.allCases, zip(applied, raw)) {
                    #expect(a == min(max(d, Double(p.range.lowerBound)), Double(p.range.upperBound)), "\(word) \(p.symbol)")
                }
            }
        }
        #expect(decoded > 0 && decoded < vocabulary.count)
        #expect(vocabulary["warm"]?["provenance"] as? String == "safe-db")
    }

    @Test func demoRendersIntoTheCurrentFolder() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runCLI(["demo"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let original = try readAudio("\(dir)/demo-original.wav"), warm = try readAudio("\(dir)/demo-warm.wav")
        #expect(original.frameCount == warm.frameCount && original.frameCount > 44_100)
        // Adaptive "warm" corrects the clip's own colouration, so its direction depends on the
        // clip; what the demo must show is an audible change with nothing broken.
        let change = tonalBalanceCurve(channels: warm.channels, sampleRate: 44_100)
        let before = tonalBalanceCurve(channels: original.channels, sampleRate: 44_100)
        #expect(zip(change, before).map { abs($0 - $1) }.max()! > 1, "the demo render must change the tone by over 1 dB somewhere")
        #expect(warm.channels.joined().allSatisfy { $0.isFinite })
    }

    @Test func helpShowsExamples() throws {
        let r = try runCLI(["process", "--help"])
        #expect(r.status == 0 && r.stdout.contains("Examples:") && r.stdout.contains("--eq"))
    }
}

@Suite struct DocumentationTests {
    /// `--version` prints the latest release of CHANGELOG.md.
    @Test func versionIsTheLatestRelease() throws {
        let changelog = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("CHANGELOG.md").path, encoding: .utf8)
        let heading = try #require(changelog.split(separator: "\n").first { $0.hasPrefix("## [") && !$0.hasPrefix("## [Unreleased]") })
        let released = heading.dropFirst(4).prefix { $0 != "]" }
        let r = try runCLI(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(released), "\(r.stdout) vs \(heading)")
    }

    /// The README's parameter section is the output of `adaptive-eq parameters`.
    @Test func readmeParameterTableMatchesTheCode() throws {
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md").path, encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- parameters:begin -->\n"))
        let end = try #require(readme.range(of: "<!-- parameters:end -->"))
        let documented = String(readme[begin.upperBound..<end.lowerBound])
        let r = try runCLI(["parameters"])
        #expect(r.status == 0)
        #expect(documented == r.stdout, "README parameter table is stale: run `adaptive-eq parameters`")
    }
}
