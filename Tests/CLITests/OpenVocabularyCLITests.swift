import AEQTestSupport
import Foundation
import Testing

/// Any word, phrases and honest support, through the CLI.
@Suite(.serialized) struct OpenVocabularyCLITests {
    func pink(_ path: String, seconds: Double = 4) throws {
        let x = pinkNoise(frames: Int(seconds * 44_100))
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

    func listed(_ args: [String]) throws -> [String: [String: Any]] {
        let r = try runCLI(["terms", "--json"] + args)
        try #require(r.status == 0, "\(r.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])["terms"]
            as? [[String: Any]]
        return Dictionary(uniqueKeysWithValues: (list ?? []).map { ($0["word"] as! String, $0) })
    }

    /// `terms`, the nearest learnt words of an answer and `analyze`'s "sounds closest to" offer
    /// only learnt words that describe timbre with enough support; `--all` lists every one.
    @Test func onlyDescriptiveWordsAreOffered() throws {
        let offered = try listed([]), all = try listed(["--all"])
        #expect(offered.count >= 20 && offered.count < all.count)
        #expect(offered.values.allSatisfy { $0["descriptive"] as? Bool == true })
        for word in ["warm", "bright", "tinny", "harsh"] { #expect(offered[word] != nil, "\(word)") }
        for word in ["corn", "even", "kind", "emotional"] {
            #expect(offered[word] == nil && all[word]?["descriptive"] as? Bool == false, "\(word)")
        }
        let r = try runCLI(["terms", "hollow", "muffled", "--json"])
        let answers = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])["answers"]
            as? [[String: Any]]
        for answer in answers ?? [] {
            let trust = try #require(answer["trust"] as? Double, "\(answer)")
            #expect((0...1).contains(trust) && (answer["description"] as? String ?? "").contains("trust "))
            let near = try #require(answer["nearest_learnt"] as? [String])
            #expect(near.count == 3 && near.allSatisfy { offered[$0] != nil }, "\(near)")
        }
        let dir = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try pink("\(dir)/in.wav")
        let a = try runCLI(["analyze", "\(dir)/in.wav", "--term", "warm", "--top", "10"])
        let line = try #require(a.stdout.split(separator: "\n").first { $0.hasPrefix("sounds closest to: ") }, "\(a.stdout)")
        let words = line.dropFirst("sounds closest to: ".count).split(separator: ",").map {
            String($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0])
        }
        #expect(words.count == 10 && words.allSatisfy { offered[$0] != nil }, "\(words)")
    }
}
