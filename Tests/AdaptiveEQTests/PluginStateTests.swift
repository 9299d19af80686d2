import AdaptiveEQ
import Testing

/// The saved-settings format plugins store with a session (`PluginState`).
@Suite struct PluginStateTests {
    static func sample() -> PluginState {
        var c = HostControls()
        c.blend = 0.25; c.intensity = 0.9; c.mode = .manual; c.analysisIntervalMilliseconds = 5
        c.smoothingTimeMilliseconds = 2000; c.outputGainDecibels = -24; c.enabled = false
        c.correctionLimitDecibels = 0; c.matchesLoudness = false
        c.manual.g1 = -12; c.manual.f5 = 20_000; c.manual.q3 = 10
        var gains = SIMD32<Float>.zero
        for i in 0..<MatchingDetail.bandCount { gains[i] = Float(i % 13 - 6) }
        c.matchingDetail = MatchingDetail(gainsDecibels: gains)
        return PluginState(controls: c, word: "a bit less muddy", secondWord: "bright")
    }

    @Test func roundTripsEveryControlAtTheEdgesOfItsRange() throws {
        let state = Self.sample()
        let decoded = try PluginState(decoding: state.encoded())
        #expect(decoded == state)
        #expect(Array(state.encoded().prefix(4)) == Array("AEQS".utf8))
    }

    @Test func refusesWhatIsNotItsOwn() {
        let good = Self.sample().encoded()
        for n in 0..<good.count { #expect(throws: PluginStateError.self) { try PluginState(decoding: Array(good.prefix(n))) } }
        #expect(throws: PluginStateError.self) { try PluginState(decoding: good + [1]) }
        var foreign = good; foreign[0] = 0x58
        #expect(throws: PluginStateError.self) { try PluginState(decoding: foreign) }
        var later = good; later[4] = 9
        #expect(throws: PluginStateError.self) { try PluginState(decoding: later) }
    }

    /// Entries written by hand: out of range, wrong kind, repeated, unknown.
    @Test func checksEachEntry() throws {
        func entry(_ kind: UInt8, _ key: String, _ payload: [UInt8]) -> [UInt8] { [kind, UInt8(key.utf8.count)] + Array(key.utf8) + payload }
        func number(_ v: Float) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } }
        func blob(_ entries: [[UInt8]]) -> [UInt8] { Array("AEQS".utf8) + [1, 0, UInt8(entries.count), 0] + entries.flatMap { $0 } }
        #expect(try PluginState(decoding: blob([entry(0, "intensity", number(0.5))])).controls.intensity == 0.5)
        #expect(try PluginState(decoding: blob([entry(0, "someday", number(3))])) == PluginState())  // unknown: skipped
        #expect(try PluginState(decoding: blob([entry(0, "mode", number(2))])).controls.mode == .manual)
        for bad in [entry(0, "intensity", number(1.5)), entry(0, "intensity", number(.nan)), entry(0, "mode", number(0.5)),
                    entry(0, "term", number(1)), entry(1, "intensity", [1, 0, 0x41]), entry(0, "g1", number(13)),
                    entry(1, "term", [2, 0, 0xFF, 0xFE]), entry(2, "detail", [1, 0] + number(0)), entry(7, "blend", number(0))] {
            #expect(throws: PluginStateError.self) { try PluginState(decoding: blob([bad])) }
        }
        #expect(throws: PluginStateError.self) {
            try PluginState(decoding: blob([entry(0, "blend", number(0)), entry(0, "blend", number(1))]))
        }
    }
}
