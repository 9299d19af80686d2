import AdaptiveEQ
import EQAnalysis
import EQDSP
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The detail stage's fit: follows a jagged difference the 5-band EQ cannot, stays flat on
/// equal spectra, keeps the whole response within the cap, and is deterministic.
@Suite struct MatchingDetailTests {
    static let centres = LongTermSpectrum.bandCentresHz
    static let fs = 44_100.0
    static let music = MatchingEQTests.music

    /// Largest |response| in dB of the 5-band EQ and the detail together, every 1/192 octave
    /// from 20 Hz to 20 kHz (below 0.45 × the rate) and at each detail centre.
    func peakResponse(_ eq: EQSettings, _ detail: MatchingDetail, sampleRateHz fs: Double = fs) -> Double {
        let top = min(20_000, 0.45 * fs)
        let points = (0...Int(192 * log2(top / 20))).map { 20 * pow(2, Double($0) / 192) }
            + (0..<MatchingDetail.bandCount).map { Double(MatchingDetail.frequencyHz($0)) }.filter { $0 < top }
        return points.map { f in
            abs((0..<MatchingDetail.bandCount).reduce(eq.magnitudeDecibels(atFrequency: f, sampleRateHz: fs)) {
                $0 + detail.band($1).magnitudeDecibels(atFrequency: f, sampleRateHz: fs)
            })
        }.max()!
    }

    func fit(_ input: [Double], _ reference: [Double], fs: Double = fs) -> (EQSettings, MatchingDetail) {
        let eq = MatchingEQ.fit(input: input, reference: reference, bandCentresHz: Self.centres, sampleRateHz: fs)
        return (eq, MatchingDetail.fit(input: input, reference: reference, base: eq, bandCentresHz: Self.centres, sampleRateHz: fs))
    }

    /// A difference no 5-band EQ follows: ±`size` dB alternating between neighbouring
    /// thirds of an octave on top of a gentle tilt.
    static func jagged(_ size: Double) -> [Double] {
        centres.indices.map { k in (k % 2 == 0 ? size : -size) + 0.3 * Double(k) + (k % 5 == 0 ? 2 : 0) }
    }

    /// Up to ±4 dB between neighbouring thirds (what ±6 dB filters can follow), the distance
    /// falls below half; beyond, it still falls, with every gain at most ±6 dB.
    @Test(arguments: [2.0, 3, 4, 8])
    func followsAJaggedDifference(size: Double) throws {
        let reference = zip(Self.music, Self.jagged(size)).map(+)
        let (eq, detail) = fit(Self.music, reference)
        #expect(!detail.isFlat)
        let before = try #require(MatchingEQ.tonalDistanceDecibels(Self.music, reference, bandCentresHz: Self.centres))
        let fiveBand = zip(Self.music, MatchingEQ.responseDecibels(eq, bandCentresHz: Self.centres, sampleRateHz: Self.fs)).map(+)
        let both = zip(Self.music, MatchingEQ.responseDecibels(eq, detail: detail, bandCentresHz: Self.centres,
                                                               sampleRateHz: Self.fs)).map(+)
        let afterFiveBands = try #require(MatchingEQ.tonalDistanceDecibels(fiveBand, reference, bandCentresHz: Self.centres))
        let after = try #require(MatchingEQ.tonalDistanceDecibels(both, reference, bandCentresHz: Self.centres))
        // Five bands leave most of it; the detail takes it well under half.
        #expect(afterFiveBands > 0.6 * before, "5-band: \(before) → \(afterFiveBands) dB")
        if size <= 4 {
            #expect(after <= 0.5 * before && after < 0.5 * afterFiveBands, "\(before) → \(afterFiveBands) → \(after) dB")
        } else {
            #expect(after < 0.8 * afterFiveBands, "\(before) → \(afterFiveBands) → \(after) dB")
        }
        print("jagged ±\(size) dB: \(before) → \(afterFiveBands) → \(after) dB")
        #expect(peakResponse(eq, detail) <= MatchingEQ.maximumResponseDecibels + 0.01)
        #expect((0..<32).allSatisfy { abs(detail.gainsDecibels[$0]) <= MatchingDetail.maximumGainDecibels })
        // Filters outside 100 Hz … 10 kHz, and the unused lanes, stay flat.
        for b in 0..<32 where b >= MatchingDetail.bandCount || !MatchingDetail.fittedRangeHz.contains(Double(MatchingDetail.frequencyHz(b))) {
            #expect(detail.gainsDecibels[b] == 0, "filter \(b)")
        }
        // Deterministic.
        let again = fit(Self.music, reference)
        #expect(again.0 == eq && again.1 == detail)
    }

    @Test func equalSpectraGiveAFlatDetail() {
        for offset in [0.0, 17, -40] {
            let (eq, detail) = fit(Self.music, Self.music.map { $0 + offset })
            #expect((0..<32).allSatisfy { abs(detail.gainsDecibels[$0]) < 0.05 }, "offset \(offset)")
            let response = MatchingEQ.responseDecibels(eq, detail: detail, bandCentresHz: Self.centres, sampleRateHz: Self.fs)
            #expect(response.allSatisfy { abs($0) < 0.1 }, "offset \(offset)")
        }
    }

    /// A steep tilt that takes the 5-band EQ to its cap plus a jagged difference: the detail
    /// gives way wherever the whole response would pass ±12 dB.
    @Test func theWholeResponseStaysWithinTheCap() {
        for (size, tilt) in [(6.0, 2.0), (12, 2), (20, 1), (9, -2)] {
            let reference = Self.music.indices.map { Self.music[$0] + tilt * Double($0) + Self.jagged(size)[$0] }
            for fs in [Self.fs, 48_000, 22_050, 8_000] {
                let (eq, detail) = fit(Self.music, reference, fs: fs)
                let peak = peakResponse(eq, detail, sampleRateHz: fs)
                #expect(peak <= MatchingEQ.maximumResponseDecibels + 0.01, "size \(size) tilt \(tilt) at \(fs) Hz: \(peak) dB")
                // Filters whose band is above 0.45 × the rate stay flat.
                for b in 0..<MatchingDetail.bandCount where !MatchingDetail.isAvailable(b, sampleRateHz: fs) {
                    #expect(detail.gainsDecibels[b] == 0, "filter \(b) at \(fs) Hz")
                }
            }
        }
    }

    @Test func absurdInputsGiveAFiniteBoundedDetail() {
        let n = Self.centres.count
        let silence = [Double](repeating: -300, count: n)
        let sine = (0..<n).map { $0 == 15 ? 0.0 : -250 }
        let holes = Self.music.enumerated().map { $0.offset % 3 == 0 ? Double.nan : $0.element }
        let wild = (0..<n).map { $0 % 2 == 0 ? 200.0 : -200 }
        let cases: [([Double], [Double], Double)] = [
            (silence, Self.music, Self.fs), (Self.music, silence, Self.fs), (Self.music, sine, Self.fs),
            (holes, Self.music, Self.fs), (Self.music, wild, Self.fs), ([], [], Self.fs), (Self.music, wild, .nan),
            (Self.music, wild, 0), (Self.music, [1e300, -1e300], Self.fs),
        ]
        for (i, (input, reference, rate)) in cases.enumerated() {
            let (eq, detail) = fit(input, reference, fs: rate)
            #expect((0..<32).allSatisfy { detail.gainsDecibels[$0].isFinite && abs(detail.gainsDecibels[$0]) <= MatchingDetail.maximumGainDecibels }, "case \(i)")
            if rate.isFinite && rate > 0 {
                #expect(peakResponse(eq, detail, sampleRateHz: rate) <= MatchingEQ.maximumResponseDecibels + 0.01, "case \(i)")
            }
        }
    }

    /// Intensity scales the detail with the EQ; the whole-file loudness gain counts the detail.
    @Test func intensityAndLoudnessGainIncludeTheDetail() throws {
        let reference = zip(Self.music, Self.jagged(5)).map(+)
        let (eq, detail) = fit(Self.music, reference)
        let none = MatchingEQ.atIntensity(eq, detail: detail, 0, input: Self.music, bandCentresHz: Self.centres, sampleRateHz: Self.fs)
        #expect(none.detail.isFlat && none.loudnessGainDecibels == 0)
        let half = MatchingEQ.atIntensity(eq, detail: detail, 0.5, input: Self.music, bandCentresHz: Self.centres, sampleRateHz: Self.fs)
        #expect(half.detail == detail.scaled(by: 0.5) && half.eq == eq.scaled(by: 0.5))
        // A detail that only boosts needs the output turned down, more than the EQ alone.
        let boost = MatchingDetail(gainsDecibels: SIMD32((0..<32).map { $0 >= 8 && $0 < 24 ? Float(6) : 0 }))
        let flatGain = MatchingEQ.loudnessGainDecibels(.flat, detail: .flat, input: Self.music, bandCentresHz: Self.centres, sampleRateHz: Self.fs)
        let boosted = MatchingEQ.loudnessGainDecibels(.flat, detail: boost, input: Self.music, bandCentresHz: Self.centres, sampleRateHz: Self.fs)
        #expect(flatGain == 0 && boosted < -2, "\(boosted) dB")
        // And the controls carry it to the host.
        let controls = HostControls().playing(matchingEQ: half.eq, detail: half.detail, loudnessGainDecibels: half.loudnessGainDecibels)
        #expect(controls.mode == .manual && controls.manual == half.eq && controls.matchingDetail == half.detail)
    }
}
