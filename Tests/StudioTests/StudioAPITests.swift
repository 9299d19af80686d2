import AdaptiveEQ
import AudioFile
import EQDSP
import Foundation
import Studio
import Testing
import AEQTestSupport

@Suite struct StudioAPITests {
    @Test func servesThePageAndOnlyItsOwnFiles() async throws {
        let (state, _) = try makeStudio()
        try await withStudio(state) { client in
            do {
                let r = try await client.get("/")
                #expect(r.status == 200)
                #expect(r.text.contains("AdaptiveEQ studio"))
            }
            for file in ["studio.js", "plots.js", "studio.css"] {
                do {
                    let r = try await client.get("/static/\(file)")
                    #expect(r.status == 200)
                    #expect(r.body.count > 500)
                }
            }
            for bad in ["/static/..%2F..%2FPackage.swift", "/static/index", "/static/%2Fetc%2Fpasswd", "/static/StudioServer.swift"] {
                do {
                    let r = try await client.get(bad)
                    #expect(r.status == 404, "\(bad)")
                }
            }
            // No CDN: every script and style sheet the page names is served here.
            do {
                let r = try await client.get("/")
                #expect(!r.text.contains("http"))
            }
        }
    }

    @Test func infoCarriesTheParameterTableAndTheVocabulary() async throws {
        let (state, _) = try makeStudio()
        try await withStudio(state) { client in
            do {
                let r = try await client.get("/api/info")
                let info = r.json
                let controls = info["controls"] as? [[String: Any]] ?? []
                #expect(controls.compactMap { $0["symbol"] as? String } == ControlParameter.allCases.map(\.symbol))
                let words = info["words"] as? [[String: Any]] ?? []
                #expect(words.compactMap { $0["word"] as? String } == state.vocabulary.words)
                #expect(words.allSatisfy { $0["x"] is NSNumber && $0["y"] is NSNumber && $0["safeRows"] is NSNumber })
                #expect(info["latencySamples"] as? Int == 0)
                #expect((info["tracks"] as? [[String: Any]])?.first?["frames"] as? Int == 88_200)
            }
        }
    }

    /// Chunks asked for in sequence are one continuous render through `HostEqualiser`,
    /// bit-identical to running it directly in 512-frame blocks.
    @Test func chunksAreTheHostEqualisersOutput() async throws {
        let (state, _) = try makeStudio()
        let track = state.trackList[0]
        let query = "term=bright&intensity=0.8&mode=adaptive&track=opening&player=test-player-1"
        var streamed: [[Float]] = [[], []]
        try await withStudio(state) { client in
            var position = 0
            for frames in [2048, 1000, 4096, 16_384, 16_384] {
                do {
                    let r = try await client.get("/api/chunk?\(query)&pos=\(position)&frames=\(frames)")
                    #expect(r.status == 200)
                    let chunk = try #require(decodeChunk(r.body, channels: 2))
                    #expect(chunk.telemetry["restarted"] as? Bool == (position == 0))
                    #expect(chunk.input[0] == Array(track.channels[0][position..<(position + frames)]))
                    #expect((chunk.telemetry["target"] as? [Double])?.count == 100)
                    #expect(chunk.telemetry["colouration"] is [Double])
                    #expect(chunk.telemetry["audio"] is [Double])
                    #expect((chunk.telemetry["blockMicrosecondsMean"] as? Double ?? 0) > 0)
                    for c in 0..<2 { streamed[c] += chunk.output[c] }
                }
                position += frames
            }
        }
        var controls = HostControls()
        controls.term = state.vocabulary.words.firstIndex(of: "bright")!
        controls.intensity = 0.8
        var eq = HostEqualiser(vocabulary: state.vocabulary)
        eq.prepare(sampleRateHz: 44_100, channelCount: 2)
        var direct = track.channels.map { Array($0[0..<streamed[0].count]) }
        var offset = 0
        while offset < direct[0].count {
            let n = min(512, direct[0].count - offset)
            let l = UnsafeMutablePointer<Float>.allocate(capacity: n), r = UnsafeMutablePointer<Float>.allocate(capacity: n)
            l.initialize(from: Array(direct[0][offset..<(offset + n)]), count: n)
            r.initialize(from: Array(direct[1][offset..<(offset + n)]), count: n)
            let outs = [l, r], ins = [UnsafePointer(l), UnsafePointer(r)]
            eq.process(inputs: ins, outputs: outs, frameCount: n, controls: controls)
            for i in 0..<n { direct[0][offset + i] = l[i]; direct[1][offset + i] = r[i] }
            l.deallocate(); r.deallocate()
            offset += n
        }
        #expect(streamed == direct)
        #expect(streamed[0] != Array(track.channels[0][0..<streamed[0].count]))
    }

    @Test func intensityZeroIsNullAndASeekRestarts() async throws {
        let (state, _) = try makeStudio()
        try await withStudio(state) { client in
            let q = "intensity=0&track=opening&player=null-player"
            for pos in [0, 4096, 30_000] {
                do {
                    let r = try await client.get("/api/chunk?\(q)&pos=\(pos)&frames=4096")
                    let chunk = try #require(decodeChunk(r.body, channels: 2))
                    #expect(chunk.output == chunk.input)
                    #expect(chunk.telemetry["restarted"] as? Bool == (pos != 4096))
                }
            }
            // The end of the track gives a short chunk, then empty ones.
            do {
                let r = try await client.get("/api/chunk?\(q)&pos=88000&frames=4096")
                #expect(try #require(decodeChunk(r.body, channels: 2)).input[0].count == 200)
            }
        }
    }

    @Test func exportRendersTheWholeTrack() async throws {
        let (state, _) = try makeStudio()
        let folder = temporaryFolder()
        try await withStudio(state) { client in
            do {
                // Static mode without loudness matching is exactly the word's EQ, so the file can be checked sample by sample.
                let r = try await client.get("/api/export?track=opening&term=warm&intensity=1&mode=static&loudness_match=off")
                #expect(r.status == 200)
                #expect(r.headers["content-disposition"]?.contains("noise-warm.wav") == true)
                let path = folder + "/export.wav"
                FileManager.default.createFile(atPath: path, contents: r.body)
                let reader = try AudioFileReader(path: path)
                #expect(reader.frameCount == 88_200 && reader.channelCount == 2 && reader.format.encoding == .float32)
                var eq = EQProcessor()
                eq.prepare(sampleRateHz: 44_100, channelCount: 1)
                let warm = state.vocabulary.settings[state.vocabulary.words.firstIndex(of: "warm")!]
                eq.setTargets(warm); eq.snapToTargets()
                var left = state.trackList[0].channels[0]
                left.withUnsafeMutableBufferPointer { p in
                    var ptr = p.baseAddress!
                    withUnsafePointer(to: &ptr) { eq.process($0, frameCount: p.count) }
                }
                // Compared sample by sample through the largest difference, so a failure prints one number.
                let exported = reader.readAllPlanar()[0]
                #expect(exported.count == left.count)
                #expect(zip(exported, left).map { abs($0 - $1) }.max() == 0)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: state.temporaryFolder).isEmpty)
    }

    @Test func blindAnswersAreStoredAndSummarised() async throws {
        let (state, results) = try makeStudio()
        try await withStudio(state) { client in
            for chosen in ["A", "A", "A", "A", "B"] {
                let body = #"{"word":"warm","intensity":0.7,"processed":"A","chosen":"\#(chosen)","mode":"adaptive","track":"opening"}"#
                do {
                    let r = try await client.send("/api/blind", method: "POST", body: Data(body.utf8))
                    #expect(r.status == 201)
                }
            }
            for bad in [#"{"word":"nonsense","intensity":0.5,"processed":"A","chosen":"A"}"#,
                        #"{"word":"warm","intensity":3,"processed":"A","chosen":"A"}"#,
                        #"{"word":"warm","intensity":0.5,"processed":"C","chosen":"A"}"#, "not json", "[1,2]",
                        // Typed: no boolean intensity, no unknown mode or track, nothing stored in their place.
                        #"{"word":"warm","intensity":true,"processed":"A","chosen":"A"}"#,
                        #"{"word":"warm","intensity":0.5,"processed":"A","chosen":"A","mode":"weird"}"#,
                        #"{"word":"warm","intensity":0.5,"processed":"A","chosen":"A","track":"../../etc/passwd"}"#,
                        #"{"word":"warm","intensity":0.5,"processed":"A","chosen":"A","track":5}"#] {
                do {
                    let r = try await client.send("/api/blind", method: "POST", body: Data(bad.utf8))
                    #expect(r.status == 400)
                    #expect(r.json["error"] is String)
                }
            }
            do {
                let r = try await client.get("/api/blind/summary")
                let rows = r.json["words"] as? [[String: Any]] ?? []
                #expect(rows.count == 1)
                #expect(rows.first?["trials"] as? Int == 5 && rows.first?["correct"] as? Int == 4)
                #expect(abs((rows.first?["pValue"] as? Double ?? 0) - 6.0 / 32) < 1e-12)
            }
            do {
                let r = try await client.get("/api/blind/results.csv")
                #expect(r.text.split(separator: "\n").count == 6)
            }
        }
        let lines = try String(contentsOfFile: results + "/" + BlindTestLog.fileName, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 5)
        // A new server reads the earlier answers back.
        #expect(BlindTestLog(folder: results).summary.first?.trials == 5)
    }

    /// A results file that cannot be written (a full disk) is a one-line server error, and the
    /// server goes on.
    @Test func aFullDiskIsAnErrorNotACrash() async throws {
        let (state, results) = try makeStudio()
        try FileManager.default.createSymbolicLink(atPath: results + "/" + BlindTestLog.fileName, withDestinationPath: "/dev/full")
        try await withStudio(state) { client in
            let body = Data(#"{"word":"warm","intensity":0.5,"processed":"A","chosen":"B"}"#.utf8)
            let r = try await client.send("/api/blind", method: "POST", body: body)
            #expect(r.status == 500 && r.error.contains("cannot write the blind-test results"), "\(r.status) \(r.error)")
            #expect(try await client.get("/api/info").status == 200)
        }
    }

    @Test func binomialTail() {
        #expect(BlindTestLog.binomialTail(successes: 0, trials: 10) == 1)
        #expect(abs(BlindTestLog.binomialTail(successes: 8, trials: 10) - 56.0 / 1024) < 1e-12)
        #expect(abs(BlindTestLog.binomialTail(successes: 10, trials: 10) - 1.0 / 1024) < 1e-12)
        #expect(abs(BlindTestLog.binomialTail(successes: 60, trials: 100) - 0.028443966820490395) < 1e-9)
    }
}
