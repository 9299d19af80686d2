import AdaptiveEQ
import EQAnalysis
import EQInference
import Foundation
import Studio
import Testing
import AEQTestSupport

/// Any word, phrase or reference track in the studio: looked up as `adaptive-eq process
/// --term` does, added as a row, rendered by the same host equaliser.
@Suite struct StudioWordTests {
    /// Renders `frames` of the opening track through a fresh host equaliser in 512-frame blocks.
    func direct(_ state: StudioState, _ vocabulary: HostVocabulary, _ controls: HostControls, frames: Int) -> [[Float]] {
        let track = state.trackList[0]
        var eq = HostEqualiser(vocabulary: vocabulary)
        eq.prepare(sampleRateHz: 44_100, channelCount: 2)
        var out = track.channels.map { Array($0[0..<frames]) }
        let l = UnsafeMutablePointer<Float>.allocate(capacity: 512), r = UnsafeMutablePointer<Float>.allocate(capacity: 512)
        defer { l.deallocate(); r.deallocate() }
        var offset = 0
        while offset < frames {
            let n = min(512, frames - offset)
            l.update(from: Array(out[0][offset..<(offset + n)]), count: n)
            r.update(from: Array(out[1][offset..<(offset + n)]), count: n)
            eq.process(inputs: [UnsafePointer(l), UnsafePointer(r)], outputs: [l, r], frameCount: n, controls: controls)
            for i in 0..<n { out[0][offset + i] = l[i]; out[1][offset + i] = r[i] }
            offset += n
        }
        return out
    }

    @Test func anyWordIsLookedUpAddedAndRendered() async throws {
        let (state, _) = try makeStudio()
        let learnt = state.vocabulary.words.count
        let model = try #require(state.vocabulary.model)
        let answer = try lookUpWord("a bit hollow", terms: model.terms, vocabulary: studioOpenVocabulary)
        try await withStudio(state) { client in
            // A word in the list answers with its own index and adds nothing.
            do {
                let r = try await client.get("/api/word?text=Warm")
                #expect(r.json["index"] as? Int == state.vocabulary.words.firstIndex(of: "warm"))
                #expect(state.vocabulary.words.count == learnt)
            }
            // A learnt word's derived form is the learnt word.
            do {
                let r = try await client.get("/api/word?text=warmer")
                #expect(r.json["index"] as? Int == state.vocabulary.words.firstIndex(of: "warm"))
            }
            // An inferred phrase is added once, with its provenance.
            for _ in 0..<2 {
                let r = try await client.get("/api/word?text=a%20bit%20hollow")
                #expect(r.status == 200)
                #expect(r.json["index"] as? Int == learnt)
                let row = try #require((r.json["words"] as? [[String: Any]])?.last)
                #expect(row["word"] as? String == "a bit hollow")
                #expect(row["source"] as? String == "inferred")
                #expect((row["provenance"] as? String)?.contains("inferred") == true)
                #expect(row["x"] is NSNumber)
            }
            // No word: one line with suggestions, nothing added.
            do {
                let r = try await client.get("/api/word?text=zzqxv")
                #expect(r.status == 400)
                #expect(r.error.contains("unknown word 'zzqxv'") && r.error.contains("nearest known words"))
                #expect(state.vocabulary.words.count == learnt + 1)
            }
            // A chunk may name the phrase directly (spaces form-encoded as "+"): the host equaliser's output with the
            // phrase's latent as one more row and its intensity factor (× 0.5) applied.
            let r = try await client.get("/api/chunk?term=a+bit+hollow&intensity=0.8&track=opening&player=word-player-1&pos=0&frames=8192")
            #expect(r.status == 200)
            let chunk = try #require(decodeChunk(r.body, channels: 2))
            var controls = HostControls()
            controls.term = learnt
            controls.intensity = 0.8 * answer.intensityScale
            let vocabulary = HostVocabulary(staticTerms: studioVocabulary.1,
                                            model: model.appendingTerm("a bit hollow", latent: answer.latent))
            #expect(answer.intensityScale == 0.5)
            #expect(chunk.output == direct(state, vocabulary, controls, frames: 8192))
            #expect(chunk.output[0] != chunk.input[0])
        }
    }

    /// A chunk or export takes every word `/api/word` takes, a refused request adds no word,
    /// the first chunk that brings a word in plays that word, and two uploads of the same
    /// name are two references.
    @Test func wordsInChunksAndExportsAndRefusalsAddNothing() async throws {
        let (state, _) = try makeStudio()
        let learnt = state.vocabulary.words.count
        let warm = try #require(state.vocabulary.words.firstIndex(of: "warm"))
        try await withStudio(state) { client in
            let base = "&track=opening&pos=0&frames=1024&mode=static&intensity=1&smoothing_ms=0"
            // Derived forms and spaces: the row of "warm", nothing added.
            for term in ["warmer", "Warm", "%20warm"] {
                let r = try await client.get("/api/chunk?player=derived-player&term=\(term)" + base)
                #expect(r.status == 200, "\(term): \(r.error)")
                let fresh = try await client.get("/api/chunk?player=derived-fresh-\(term.count)&term=\(warm)" + base)
                let same = decodeChunk(r.body, channels: 2)?.output == decodeChunk(fresh.body, channels: 2)?.output
                #expect(same, "\(term) did not play warm")
            }
            let e = try await client.get("/api/export?track=opening&term=brighter")
            #expect(e.status == 200, "\(e.error)")
            #expect(state.vocabulary.words.count == learnt)
            // Refused for another control, or for the other word: no row added.
            let bad = [try await client.get("/api/export?track=opening&term=a+bit+boxy&intensity=5"),
                       try await client.get("/api/chunk?player=refused-player&track=opening&pos=0&frames=16&term=very+boxy&term_b=zzqxq")]
            #expect(bad.allSatisfy { $0.status == 400 })
            #expect(bad[1].error.hasPrefix("term_b: "), "\(bad[1].error)")
            #expect(state.vocabulary.words.count == learnt)
            // A listener that knew only the learnt words hears the new word from its first chunk.
            _ = try await client.get("/api/chunk?player=stale-player-1&term=warm" + base)
            let first = try await client.get("/api/chunk?player=stale-player-1&term=a+bit+nasal" + base)
            let fresh = try await client.get("/api/chunk?player=stale-player-2&term=a+bit+nasal" + base)
            #expect(first.status == 200 && state.vocabulary.words.count == learnt + 1)
            let a = try #require(decodeChunk(first.body, channels: 2)), b = try #require(decodeChunk(fresh.body, channels: 2))
            #expect(a.telemetry["targetParameters"] as? [Double] == b.telemetry["targetParameters"] as? [Double])
            let sameOutput = a.output == b.output
            #expect(sameOutput, "the first chunk with the new word played another word")
            // Two uploads named alike: two reference rows.
            var ids: [String] = []
            for frames in [48_000, 24_000] {
                let r = try await client.send("/api/tracks", method: "POST", body: try wavBytes(frames: frames),
                                              headers: ["X-File-Name": "take.wav"])
                ids.append(try #require(r.json["id"] as? String))
            }
            let rows = try await ids.asyncMap { try await client.send("/api/reference?track=\($0)", method: "POST").json["index"] as? Int }
            #expect(rows[0] != nil && rows[1] != nil && rows[0] != rows[1], "\(rows)")
            let again = try await client.send("/api/reference?track=\(ids[1])", method: "POST")
            #expect(again.json["index"] as? Int == rows[1])
        }
    }

    @Test func aTrackServesAsTheReference() async throws {
        let (state, _) = try makeStudio()
        let learnt = state.vocabulary.words.count
        try await withStudio(state) { client in
            let r = try await client.send("/api/reference?track=opening", method: "POST")
            #expect(r.status == 200)
            #expect(r.json["index"] as? Int == learnt)
            let row = try #require((r.json["words"] as? [[String: Any]])?.last)
            #expect(row["word"] as? String == "reference: noise")
            #expect(row["source"] as? String == "reference")
            let missing = try await client.send("/api/reference?track=nope", method: "POST")
            #expect(missing.status == 404)
            // Played, it is the matching EQ and its detail from the playing track's long-term
            // spectrum to the reference's (the same fitters as `process --reference`), static, with the
            // whole-track loudness gain: here the track is its own reference, so nearly flat.
            let track = state.trackList[0]
            let n = track.frameCount
            let spectrum = LongTermSpectrum(sampleRateHz: 44_100)
            let samples = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n)
            let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: 2)
            defer { samples.deallocate(); pointers.deallocate() }
            for c in 0..<2 {
                pointers[c] = samples + c * n
                pointers[c].initialize(from: track.channels[c], count: n)
            }
            spectrum.add(pointers, channelCount: 2, frameCount: n)
            let levels = try #require(spectrum.bandLevelsDecibels)
            let centres = LongTermSpectrum.bandCentresHz
            let fitted = MatchingEQ.fit(input: levels, reference: levels, bandCentresHz: centres, sampleRateHz: 44_100)
            #expect(MatchingEQ.responseDecibels(fitted, bandCentresHz: centres, sampleRateHz: 44_100).allSatisfy { abs($0) < 0.05 })
            let reply = try await client.get("/api/chunk?term=\(learnt)&intensity=0.8&track=opening&player=ref-player-1&pos=0&frames=8192")
            let chunk = try #require(decodeChunk(reply.body, channels: 2))
            var controls = HostControls()
            controls.mode = .manual
            controls.manual = fitted.scaled(by: 0.8)
            let detail = MatchingDetail.fit(input: levels, reference: levels, base: fitted, bandCentresHz: centres, sampleRateHz: 44_100)
            #expect((0..<32).allSatisfy { abs(detail.gainsDecibels[$0]) < 0.05 })
            controls.matchingDetail = detail.scaled(by: 0.8)
            controls.outputGainDecibels = MatchingEQ.loudnessGainDecibels(controls.manual, detail: controls.matchingDetail, input: levels,
                                                                          bandCentresHz: centres, sampleRateHz: 44_100)
            #expect(chunk.output == direct(state, state.vocabulary, controls, frames: 8192))
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
