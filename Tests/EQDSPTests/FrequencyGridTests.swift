import AEQTestSupport
import EQDSP
import Foundation
import Testing

@Suite struct FrequencyGridTests {
    /// The largest |response| takes two logarithms (at the largest and the smallest power)
    /// instead of one per point; the result must be bit for bit the per-point maximum, here
    /// on a grid that also holds the peak centres the function checks besides its own points.
    @Test func peakMagnitudeEqualsThePerPointMaximum() {
        let fs = 44_100.0
        let points = (0..<121).map { 20 * pow(19_845 / 20, Double($0) / 120) }
        let grid = FrequencyGrid(frequenciesHz: points, sampleRateHz: fs)
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<500 {
            // Gains beyond the table's ±12 dB too: the correction limit scales colourations
            // that reach further.
            let settings = EQSettings { p in
                p.unit == .decibels ? Float.random(in: -24...24, using: &rng) : Float.random(in: p.range, using: &rng)
            }
            let centres = (1...3).map { Double(settings.band($0).frequencyHz) }
                .filter { $0 > grid.frequencyHz(0) && $0 < grid.frequencyHz(grid.count - 1) }
            let all = FrequencyGrid(frequenciesHz: points + centres, sampleRateHz: fs)
            let designs = (0..<EQSettings.bandCount).map { BiquadCoefficients(settings.band($0), sampleRateHz: fs) }
            var worst = 0.0
            for i in 0..<all.count {
                let p = designs.reduce(1.0) { $0 * all.powerGain($1, at: i) }
                worst = max(worst, abs(10 * log10(max(p, 1e-300))))
            }
            #expect(grid.peakMagnitudeDecibels(settings) == worst, "\(settings.values)")
        }
    }
}
