import AdaptiveEQ
import EQAnalysis
import Foundation

extension AnalyzeCommand {
    /// `analyze --reference`: the matching EQ and detail stage `process --reference` would apply
    /// to the input, and how close they bring the input's tonal balance to the reference's.
    func analyzeReference(_ reference: String) throws {
        let match = try ReferenceMatch(path: reference, intensity: intensity, showProgress: false)
        let measured = try measureLongTermSpectrum(path: input)
        guard let levels = measured.levels else {
            throw CLIError("'\(input)' is too short or too quiet to measure (needs about 0.1 s above -60 dBFS)")
        }
        let fs = Double(measured.sampleRate), centres = LongTermSpectrum.bandCentresHz
        let (eq, detail, gain) = match.settings(input: levels, sampleRateHz: fs)
        let response = MatchingEQ.responseDecibels(eq, detail: detail, bandCentresHz: centres, sampleRateHz: fs)
        let output = zip(levels, response).map(+)
        let fiveBandOutput = zip(levels, MatchingEQ.responseDecibels(eq, bandCentresHz: centres, sampleRateHz: fs)).map(+)
        let before = MatchingEQ.tonalDistanceDecibels(levels, match.levels, bandCentresHz: centres)
        let after = MatchingEQ.tonalDistanceDecibels(output, match.levels, bandCentresHz: centres)
        let afterFiveBands = MatchingEQ.tonalDistanceDecibels(fiveBandOutput, match.levels, bandCentresHz: centres)
        let marks = [63.0, 125, 250, 500, 1000, 2000, 4000, 8000, 16000].filter { $0 < 0.45 * fs }
        func both(_ f: Double) -> Double {
            eq.magnitudeDecibels(atFrequency: f, sampleRateHz: fs) + detail.magnitudeDecibels(atFrequency: f, sampleRateHz: fs)
        }
        let at = marks.map { eq.magnitudeDecibels(atFrequency: $0, sampleRateHz: fs) }
        let detailGains = (0..<MatchingDetail.bandCount).map { Double(detail.gainsDecibels[$0]) }
        let detailFrequencies = (0..<MatchingDetail.bandCount).map { Double(MatchingDetail.frequencyHz($0)) }
        let parameters = eq.values.map { String(format: "%g", ($0 * 100).rounded() / 100) }.joined(separator: ",")

        if let plot {
            // Fine enough for the detail's third-octave peaks.
            let grid = (0..<481).map { 20 * pow(1000.0, Double($0) / 480) }.filter { $0 < 0.45 * fs }
            try writePlot(plot, grid: grid, curves: [("matching EQ", grid.map { eq.magnitudeDecibels(atFrequency: $0, sampleRateHz: fs) }, "#ff9896"),
                                                     ("with its detail", grid.map(both), "#d62728")],
                          spectra: [("input", centres, levels), ("reference", centres, match.levels),
                                    ("input + EQ", centres, output)],
                          title: "\((input as NSString).lastPathComponent): matching '\((reference as NSString).lastPathComponent)' at intensity \(intensity)")
        }
        if json {
            func finite(_ v: [Double]) -> [Any] { v.map { $0.isFinite ? $0 as Any : NSNull() } }
            let object: [String: Any] = [
                "file": input, "sample_rate": measured.sampleRate, "measured_seconds": measured.seconds,
                "reference": reference, "intensity": intensity,
                "eq": eq.values, "eq_response_db": ["frequencies_hz": marks, "db": at],
                "detail": ["frequencies_hz": detailFrequencies, "gains_db": detailGains, "q": Double(MatchingDetail.q)],
                "response_db": ["frequencies_hz": marks, "db": marks.map(both)],
                "loudness_gain_db": loudnessMatch == .on ? Double(gain) : 0,
                "tbc_distance_db": ["before": before as Any, "after": after as Any, "after_5_band": afterFiveBands as Any],
                "band_centres_hz": centres, "input_levels_db": finite(levels), "reference_levels_db": finite(match.levels),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(input): long-term spectrum over \(String(format: "%.1f", measured.seconds)) s at \(measured.sampleRate) Hz")
        print("reference: \(reference)")
        let bands = (0..<EQSettings.bandCount).map { b -> String in
            let band = eq.band(b)
            let q = (1...3).contains(b) ? String(format: " Q %.2f", band.q) : ""
            return String(format: "%@ %.0f Hz%@ %+.1f dB", ["low shelf", "peak", "peak", "peak", "high shelf"][b],
                          band.frequencyHz, q, band.gainDecibels)
        }
        print(String(format: "matching EQ at intensity %g: ", intensity) + bands.joined(separator: ", "))
        print("as --eq: \(parameters)")
        print("its response (dB): " + zip(marks, at).map { String(format: "%g Hz %+.1f", $0.0, $0.1) }.joined(separator: "  "))
        if let boost = detailGains.indices.max(by: { detailGains[$0] < detailGains[$1] }),
           let cut = detailGains.indices.min(by: { detailGains[$0] < detailGains[$1] }), let after, let afterFiveBands {
            print(String(format: "detail stage (one-third-octave peaks, Q %.2f): largest boost %+.1f dB at %.0f Hz, largest cut %+.1f dB at %.0f Hz; distance %.2f dB after the 5-band EQ, %.2f dB after both",
                         MatchingDetail.q, detailGains[boost], detailFrequencies[boost],
                         detailGains[cut], detailFrequencies[cut], afterFiveBands, after))
        }
        print(loudnessMatch == .on ? String(format: "loudness-matching gain: %+.1f dB", gain) : "loudness matching: off")
        if let before, let after {
            print(String(format: "tonal-balance distance to the reference (RMS dB, 100 Hz–10 kHz, level removed): %.2f dB before, %.2f dB after", before, after))
        }
        if let plot { print("plot: \(plot)") }
    }
}
