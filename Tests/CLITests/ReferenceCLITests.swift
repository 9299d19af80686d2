import AEQTestSupport
import EQDSP
import Foundation
import Testing

/// `process --reference` and `analyze --reference`: the matching EQ through the CLI.
@Suite(.serialized) struct ReferenceCLITests {
    static let dark = "-2,100,0,300,0.71,0,1000,0.71,-3,3000,0.71,-9,6000"
    static let bright = "0,100,0,300,0.71,0,1000,0.71,3,3000,0.71,8,8000"

    /// Tonal-balance distance (RMS dB over 100 Hz … 10 kHz, level removed), as eval/open_vocab.py.
    func distance(_ a: String, _ b: String) throws -> Double {
        let x = try readAudio(a), y = try readAudio(b)
        let ca = tonalBalanceCurve(channels: x.channels, sampleRate: x.sampleRate)
        let cb = tonalBalanceCurve(channels: y.channels, sampleRate: y.sampleRate)
        let centres = (-15...12).map { 1000 * pow(2, Double($0) / 3) }
        let d = centres.indices.filter { centres[$0] > 99 && centres[$0] < 10_100 }.map { ca[$0] - cb[$0] }
        let mean = d.reduce(0, +) / Double(d.count)
        return (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
    }

    /// Mean K-weighted power (BS.1770's filters, summed over channels) in dB, ungated.
    func kWeightedLevel(_ a: Audio) -> Double {
        let fs = Double(a.sampleRate)
        let shelf = BiquadCoefficients(BandParameters(kind: .highShelf, frequencyHz: 1681.974450955533,
                                                      gainDecibels: 3.999843853973347, q: 0.7071752369554196), sampleRateHz: fs)
        let w0 = 2 * Double.pi * 38.13547087602444 / fs, alpha = sin(w0) / (2 * 0.5003270373238773), a0 = 1 + alpha
        let highPass = BiquadCoefficients(b0: (1 + cos(w0)) / 2 / a0, b1: -(1 + cos(w0)) / a0, b2: (1 + cos(w0)) / 2 / a0,
                                          a1: -2 * cos(w0) / a0, a2: (1 - alpha) / a0)
        var total = 0.0
        for channel in a.channels {
            var signal = channel.map(Double.init)
            for c in [shelf, highPass] {
                var (x1, x2, y1, y2) = (0.0, 0.0, 0.0, 0.0)
                for i in signal.indices {
                    let x0 = signal[i]
                    let y0 = c.b0 * x0 + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2
                    (x2, x1, y2, y1) = (x1, x0, y1, y0)
                    signal[i] = y0
                }
            }
            total += signal.reduce(0) { $0 + $1 * $1 } / Double(signal.count)
        }
        return 10 * log10(total)
    }

    /// Pink noise coloured with `eq` (no EQ when nil), `channels` channels at `rate`.
    func coloured(_ path: String, eq: String?, rate: Int = 44_100, channels: Int = 2, seed: UInt64 = 11) throws {
        let x = pinkNoise(frames: 6 * rate, seed: seed)
        let plain = path + ".plain.wav"
        try writeAudio(Audio(sampleRate: rate, channels: [[Float]](repeating: x, count: channels)), to: eq == nil ? path : plain)
        guard let eq else { return }
        let r = try runCLI(["process", plain, path, "--eq", eq, "--output-gain-db", "-6"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func intensityOneHalvesTheDistanceAndZeroIsAnExactNull() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try coloured("\(dir)/dark.wav", eq: Self.dark)
        try coloured("\(dir)/bright.wav", eq: Self.bright, seed: 12)
        let r = try runCLI(["process", "\(dir)/dark.wav", "\(dir)/out.wav", "--reference", "\(dir)/bright.wav", "--intensity", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let before = try distance("\(dir)/dark.wav", "\(dir)/bright.wav")
        let after = try distance("\(dir)/out.wav", "\(dir)/bright.wav")
        #expect(before > 4 && after < 0.25 * before, "before \(before) dB, after \(after) dB")
        // Loudness matching (on by default, K-weighted) keeps the level near the input's;
        // without it, taking the brightness away makes the output clearly quieter.
        for loudness in ["on", "off"] {
            let r = try runCLI(["process", "\(dir)/bright.wav", "\(dir)/dull-\(loudness).wav", "--reference", "\(dir)/dark.wav",
                                "--intensity", "1", "--loudness-match", loudness])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let x = try readAudio("\(dir)/dark.wav"), bright = try readAudio("\(dir)/bright.wav")
        let matched = kWeightedLevel(try readAudio("\(dir)/dull-on.wav")) - kWeightedLevel(bright)
        let unmatched = kWeightedLevel(try readAudio("\(dir)/dull-off.wav")) - kWeightedLevel(bright)
        #expect(abs(matched) < 0.5 && unmatched < -1.5, "K-weighted level change \(matched) dB matched, \(unmatched) dB unmatched")

        for loudness in ["on", "off"] {
            let z = try runCLI(["process", "\(dir)/dark.wav", "\(dir)/null-\(loudness).wav", "--reference", "\(dir)/bright.wav",
                                "--intensity", "0", "--loudness-match", loudness])
            #expect(z.status == 0, "\(z.stderr)")
            let n = try readAudio("\(dir)/null-\(loudness).wav")
            #expect(n.channels == x.channels, "intensity 0 with loudness matching \(loudness) is not an exact null")
        }
        // Half the intensity goes part of the way.
        let half = try runCLI(["process", "\(dir)/dark.wav", "\(dir)/half.wav", "--reference", "\(dir)/bright.wav", "--intensity", "0.5"])
        #expect(half.status == 0, "\(half.stderr)")
        let middle = try distance("\(dir)/half.wav", "\(dir)/bright.wav")
        #expect(middle < before && middle > after, "before \(before), half \(middle), full \(after) dB")
    }

    @Test func ownReferenceIsNearlyFlatAndAnalyzeShowsTheFit() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try coloured("\(dir)/dark.wav", eq: Self.dark)
        try coloured("\(dir)/bright.wav", eq: Self.bright, seed: 12)
        let same = try runCLI(["analyze", "\(dir)/dark.wav", "--reference", "\(dir)/dark.wav", "--json"])
        #expect(same.status == 0, "\(same.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(same.stdout.utf8)) as? [String: Any])
        let response = try #require((object["eq_response_db"] as? [String: Any])?["db"] as? [Double])
        #expect(response.count >= 8 && response.allSatisfy { abs($0) < 0.3 }, "own reference: \(response)")

        let a = try runCLI(["analyze", "\(dir)/dark.wav", "--reference", "\(dir)/bright.wav", "--intensity", "1"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout.contains("matching EQ at intensity 1") && a.stdout.contains("as --eq: "), "\(a.stdout)")
        let line = try #require(a.stdout.split(separator: "\n").first { $0.hasPrefix("tonal-balance distance") })
        let numbers = line.split(separator: ":").last!.split(separator: " ").compactMap { Double($0) }
        #expect(numbers.count == 2 && numbers[1] < 0.25 * numbers[0], "\(line)")
        // The printed parameters are a valid --eq.
        let eq = try #require(a.stdout.split(separator: "\n").first { $0.hasPrefix("as --eq: ") })
        let manual = try runCLI(["process", "\(dir)/dark.wav", "\(dir)/manual.wav", "--eq", String(eq.dropFirst(9))])
        #expect(manual.status == 0, "\(manual.stderr)")
        let plot = try runCLI(["analyze", "\(dir)/dark.wav", "--reference", "\(dir)/bright.wav", "--plot", "\(dir)/p.svg"])
        #expect(plot.status == 0 && FileManager.default.fileExists(atPath: "\(dir)/p.svg"), "\(plot.stderr)")
        // An existing plot is replaced only with --force.
        let again = try runCLI(["analyze", "\(dir)/dark.wav", "--reference", "\(dir)/bright.wav", "--plot", "\(dir)/p.svg"])
        #expect(again.status != 0 && again.stderr.contains("exists; add --force"), "\(again.stderr)")
        let forced = try runCLI(["analyze", "\(dir)/dark.wav", "--reference", "\(dir)/bright.wav", "--plot", "\(dir)/p.svg", "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
    }

    @Test func monoStereoAndOtherRatesMatch() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try coloured("\(dir)/in.wav", eq: Self.dark)
        try coloured("\(dir)/mono48.wav", eq: Self.bright, rate: 48_000, channels: 1, seed: 13)
        try coloured("\(dir)/in22.wav", eq: Self.dark, rate: 22_050, channels: 1, seed: 14)
        for (input, reference) in [("in.wav", "mono48.wav"), ("in22.wav", "mono48.wav"), ("mono48.wav", "in.wav")] {
            let out = "\(dir)/out-\(input)"
            let r = try runCLI(["process", "\(dir)/\(input)", out, "--reference", "\(dir)/\(reference)", "--force"])
            #expect(r.status == 0, "\(r.stderr)")
            let x = try readAudio("\(dir)/\(input)"), y = try readAudio(out)
            #expect(y.sampleRate == x.sampleRate && y.channels.count == x.channels.count && y.frameCount == x.frameCount)
            let before = try distance("\(dir)/\(input)", "\(dir)/\(reference)")
            let after = try distance(out, "\(dir)/\(reference)")
            // At 22.05 kHz the top bands are not there to match: less than halved is fine.
            #expect(after < (input == "in22.wav" ? 0.7 : 0.5) * before, "\(input) → \(reference): \(before) → \(after) dB")
        }
        // A catalogue: every file gets its own fit against the one reference.
        let batch = try runCLI(["process", "\(dir)/in.wav", "\(dir)/in22.wav", "--output-dir", "\(dir)/batch",
                                "--reference", "\(dir)/mono48.wav", "--jobs", "2"])
        #expect(batch.status == 0, "\(batch.stdout)\(batch.stderr)")
        for name in ["in", "in22"] {
            let out = "\(dir)/batch/\(name).wav"
            #expect(try distance(out, "\(dir)/mono48.wav") == distance("\(dir)/out-\(name).wav", "\(dir)/mono48.wav"), "\(name)")
        }
    }

    @Test func badCombinationsAndFilesFailInOneLine() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try coloured("\(dir)/in.wav", eq: nil)
        try writeAudio(Audio(sampleRate: 44_100, channels: [[Float](repeating: 0.1, count: 2000)]), to: "\(dir)/short.wav")
        try writeAudio(Audio(sampleRate: 44_100, channels: [[Float](repeating: 0, count: 88_200)]), to: "\(dir)/silent.wav")
        let ref = ["--reference", "\(dir)/in.wav"]
        for (extra, fragment) in [(["--term", "warm"], "cannot be combined"), (["--eq", Self.dark], "cannot be combined"),
                                  (["--mode", "adaptive"], "static matching EQ"), (["--term-b", "warm"], "static matching EQ")] {
            let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/o.wav"] + ref + extra)
            #expect(r.status != 0 && r.stderr.contains(fragment) && r.stderr.split(separator: "\n").count == 1,
                    "\(extra): \(r.stderr)")
        }
        for bad in ["nope.wav", "short.wav", "silent.wav"] {
            for command in [["process", "\(dir)/in.wav", "\(dir)/o.wav"], ["analyze", "\(dir)/in.wav"]] {
                let r = try runCLI(command + ["--reference", "\(dir)/\(bad)"])
                #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1, "\(command[0]) \(bad): \(r.stderr)")
            }
        }
        let both = try runCLI(["analyze", "\(dir)/in.wav", "--term", "warm"] + ref)
        #expect(both.status != 0 && both.stderr.contains("cannot be combined"), "\(both.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/o.wav"))
        // A static --mode is what a reference does anyway.
        let ok = try runCLI(["process", "\(dir)/in.wav", "\(dir)/o.wav", "--mode", "static"] + ref)
        #expect(ok.status == 0, "\(ok.stderr)")
    }
}
