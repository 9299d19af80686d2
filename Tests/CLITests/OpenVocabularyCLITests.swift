import AEQTestSupport
import Foundation
import Testing

/// Any word, phrases, honest support and reference matching, through the CLI.
@Suite(.serialized) struct OpenVocabularyCLITests {
    func pink(_ path: String, seconds: Double = 4) throws {
        var rng = SeededGenerator(seed: 11)
        var b = [Float](repeating: 0, count: 7), x = [Float](repeating: 0, count: Int(seconds * 44_100))
        for i in x.indices {  // Paul Kellet's pink-noise filter
            let w = Float.random(in: -1...1, using: &rng)
            b[0] = 0.99886 * b[0] + w * 0.0555179; b[1] = 0.99332 * b[1] + w * 0.0750759
            b[2] = 0.96900 * b[2] + w * 0.1538520; b[3] = 0.86650 * b[3] + w * 0.3104856
            b[4] = 0.55000 * b[4] + w * 0.5329522; b[5] = -0.7616 * b[5] - w * 0.0168980
            x[i] = 0.02 * (b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362); b[6] = w * 0.115926
        }
        try writeAudio(Audio(sampleRate: 44_100, channels: [x, x]), to: path)
    }

    @Test func inferredWordsAndPhrasesProcessAndSaySo() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try pink("\(dir)/in.wav")
        for (phrase, fragment) in [("hollow", "inferred"), ("warmer", "'warm': learnt from people"),
                                   ("less muddy", "away from 'muddy'"), ("a bit bright", "intensity × 0.5")] {
            let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", phrase, "--force"])
            #expect(r.status == 0 && r.stderr.contains(fragment), "\(phrase): \(r.stderr)")
            let out = try readAudio("\(dir)/out.wav")
            #expect(out.channels.allSatisfy { $0.allSatisfy(\.isFinite) })
        }
        let plain = try runCLI(["process", "\(dir)/in.wav", "\(dir)/out.wav", "--term", "warm", "--force"])
        #expect(plain.status == 0 && plain.stderr.isEmpty, "\(plain.stderr)")
    }

    @Test func termsExplainsEachPhraseAndRefusesNonWords() throws {
        let r = try runCLI(["terms", "hollow", "warm", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])["answers"]
            as? [[String: Any]]
        #expect(answers?.count == 2)
        #expect(answers?[0]["learnt"] as? Bool == false && (answers?[0]["nearest_learnt"] as? [String])?.count == 3)
        #expect(answers?[1]["learnt"] as? Bool == true && (answers?[1]["safe_rows"] as? Int ?? 0) >= 5)
        let bad = try runCLI(["terms", "zzqxv"])
        #expect(bad.status != 0 && bad.stderr.split(separator: "\n").count == 1 && bad.stderr.contains("nearest known words"),
                "\(bad.stderr)")
        let badProcess = try runCLI(["process", "/nonexistent.wav", "/tmp/o.wav", "--term", "zzqxv"])
        #expect(badProcess.status != 0)
    }

    @Test func referenceMovesTheTonalBalanceTowardsTheReference() throws {
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try pink("\(dir)/in.wav", seconds: 8)
        let dark = ["-2,100,0,300,0.71,0,1000,0.71,-3,3000,0.71,-9,6000", "0,100,0,300,0.71,0,1000,0.71,3,3000,0.71,8,8000"]
        for (name, eq) in zip(["dark", "bright"], dark) {
            let r = try runCLI(["process", "\(dir)/in.wav", "\(dir)/\(name).wav", "--eq", eq, "--output-gain-db", "-6"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let r = try runCLI(["process", "\(dir)/dark.wav", "\(dir)/out.wav", "--reference", "\(dir)/bright.wav", "--intensity", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        func centroid(_ p: String) throws -> Double {
            let a = try readAudio(p)
            return spectralCentroid(channels: a.channels, sampleRate: a.sampleRate)
        }
        let (cd, cb, co) = (try centroid("\(dir)/dark.wav"), try centroid("\(dir)/bright.wav"), try centroid("\(dir)/out.wav"))
        // Towards the reference, not all the way (the encoder under-tracks colourations;
        // eval/open_vocab.py measures how far).
        #expect(co > cd && abs(co - cb) < abs(cd - cb), "dark \(cd), bright \(cb), out \(co) Hz")
        let a = try runCLI(["analyze", "\(dir)/dark.wav", "--reference", "\(dir)/bright.wav"])
        #expect(a.status == 0 && a.stdout.contains("reference colouration:") && a.stdout.contains("reference sounds closest to"),
                "\(a.stdout)\(a.stderr)")
        let both = try runCLI(["process", "\(dir)/dark.wav", "\(dir)/o2.wav", "--reference", "\(dir)/bright.wav", "--term", "warm"])
        #expect(both.status != 0 && both.stderr.contains("cannot be combined"))
        let missing = try runCLI(["process", "\(dir)/dark.wav", "\(dir)/o3.wav", "--reference", "\(dir)/nope.wav"])
        #expect(missing.status != 0 && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
    }
}
