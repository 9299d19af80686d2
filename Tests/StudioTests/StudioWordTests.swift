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
