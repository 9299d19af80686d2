import AdaptiveEQ
import EQAnalysis
import EQDSP
import Foundation
import Testing

/// The matching-EQ fitter: recovers known EQs, stays flat on equal spectra, and stays
/// bounded, finite and in range on absurd input.
@Suite struct MatchingEQTests {
    static let centres = LongTermSpectrum.bandCentresHz
    static let fs = 44_100.0
    /// A music-like long-term spectrum: about -4 dB per octave above 100 Hz, with ripples.
    static let music: [Double] = centres.map { f in -4 * log2(max(f, 100) / 100) + 2 * sin(log2(f) * 2.3) }

    /// RMS dB over the fitted bands (40 Hz … 16 kHz) of two curves with their means removed.
    func rms(_ a: [Double], _ b: [Double]) -> Double {
        let d = Self.centres.indices.filter { MatchingEQ.fittedRangeHz.contains(Self.centres[$0]) }.map { a[$0] - b[$0] }
        let mean = d.reduce(0, +) / Double(d.count)
        return (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
    }

    func response(_ s: EQSettings) -> [Double] {
        MatchingEQ.responseDecibels(s, bandCentresHz: Self.centres, sampleRateHz: Self.fs)
    }

    /// Responses agree within 0.5 dB RMS (the parameters themselves need not: overlapping
    /// bands can make the same curve in more than one way).
    @Test(arguments: [
        [-2, 100, 0, 300, 0.71, 0, 1000, 0.71, -3, 3000, 0.71, -9, 6000],
        [0, 100, 0, 300, 0.71, 0, 1000, 0.71, 3, 3000, 0.71, 8, 8000],
        [8, 150, 4, 250, 0.8, 0, 1000, 0.71, 0, 3000, 0.71, -3, 8000],
        [0, 100, 0, 300, 0.71, 7, 1200, 1.5, 0, 3000, 0.71, 0, 8000],
        [-5, 60, 3, 500, 2, -4, 2000, 1, 5, 6000, 3, -2, 12000],
    ] as [[Float]])
    func recoversAKnownEQ(values: [Float]) throws {
        let known = try #require(EQSettings(values: values))
        let reference = zip(Self.music, response(known)).map(+)
        let fitted = MatchingEQ.fit(input: Self.music, reference: reference, bandCentresHz: Self.centres, sampleRateHz: Self.fs)
        #expect(fitted.firstInvalidParameter == nil)
        let error = rms(response(fitted), response(known))
        #expect(error < 0.5, "response error \(error) dB for \(values) → \(fitted.values)")
        // The distance the product is judged by falls by far more than half.
        let before = try #require(MatchingEQ.tonalDistanceDecibels(Self.music, reference, bandCentresHz: Self.centres))
        let output = zip(Self.music, response(fitted)).map(+)
        let after = try #require(MatchingEQ.tonalDistanceDecibels(output, reference, bandCentresHz: Self.centres))
        #expect(after < 0.25 * before, "before \(before), after \(after) dB")
        // Deterministic.
        #expect(MatchingEQ.fit(input: Self.music, reference: reference, bandCentresHz: Self.centres, sampleRateHz: Self.fs) == fitted)
    }

    @Test func equalSpectraGiveAFlatEQ() {
        for offset in [0.0, 17, -40] {
            let fitted = MatchingEQ.fit(input: Self.music, reference: Self.music.map { $0 + offset },
                                        bandCentresHz: Self.centres, sampleRateHz: Self.fs)
            #expect(response(fitted).allSatisfy { abs($0) < 0.05 }, "offset \(offset): \(fitted.values)")
            #expect(MatchingEQ.loudnessGainDecibels(fitted, input: Self.music, bandCentresHz: Self.centres,
                                                    sampleRateHz: Self.fs).magnitude < 0.05)
        }
        #expect(MatchingEQ.loudnessGainDecibels(.flat, input: Self.music, bandCentresHz: Self.centres, sampleRateHz: Self.fs) == 0)
    }

    @Test func absurdInputsGiveABoundedFiniteEQInRange() {
        let n = Self.centres.count
        let silence = [Double](repeating: -300, count: n)
        let dc = (0..<n).map { $0 == 0 ? 0.0 : -300 }
        let sine = (0..<n).map { $0 == 15 ? 0.0 : -250 }
        let steep = (0..<n).map { Double($0) * 40 }
        let holes = Self.music.enumerated().map { $0.offset % 3 == 0 ? Double.nan : $0.element }
        let infinite = Self.music.enumerated().map { $0.offset == 5 ? -Double.infinity : $0.element }
        let cases: [([Double], [Double], Double)] = [
            (silence, Self.music, Self.fs), (Self.music, silence, Self.fs), (dc, Self.music, Self.fs),
            (Self.music, sine, Self.fs), (sine, dc, Self.fs), (steep, Self.music, Self.fs), (Self.music, steep.reversed(), Self.fs),
            (holes, Self.music, Self.fs), (infinite, Self.music, Self.fs), (Self.music, [1e300, -1e300], Self.fs),
            ([], [], Self.fs), (Self.music, Self.music.map { -$0 * 5 }, 8_000), (Self.music, steep, .nan), (Self.music, steep, 0),
        ]
        let grid = FrequencyGrid(logSpacedFrom: 20, to: 19_800, pointsPerOctave: 12, sampleRateHz: Self.fs)
        for (i, (input, reference, rate)) in cases.enumerated() {
            let fitted = MatchingEQ.fit(input: input, reference: reference, bandCentresHz: Self.centres, sampleRateHz: rate)
            #expect(fitted.firstInvalidParameter == nil, "case \(i): \(fitted.values)")
            #expect(grid.peakMagnitudeDecibels(fitted) <= MatchingEQ.maximumResponseDecibels + 0.05, "case \(i): \(fitted.values)")
            let gain = MatchingEQ.loudnessGainDecibels(fitted, input: input.count == n ? input : Self.music,
                                                       bandCentresHz: Self.centres, sampleRateHz: Self.fs)
            #expect(gain.isFinite, "case \(i)")
        }
        // A steep tilt (2 dB per band, 54 dB in all) asks for more than the cap: the fit
        // leans as far as it may.
        let tilted = MatchingEQ.fit(input: Self.music, reference: zip(Self.music, steep).map { $0 + $1 / 20 },
                                    bandCentresHz: Self.centres, sampleRateHz: Self.fs)
        #expect(grid.peakMagnitudeDecibels(tilted) > MatchingEQ.maximumResponseDecibels - 1)
    }
}
