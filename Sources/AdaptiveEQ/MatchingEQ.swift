import EQDSP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// "Make it sound like this reference": the product's 5-band EQ (the 13 parameters of the
/// parameter table, inside its ranges) whose response best turns the input's long-term
/// tonal balance into the reference's. Pure and deterministic; both spectra are band levels
/// in dB on the same grid (`LongTermSpectrum`), their overall levels do not matter.
///
/// The fit: gains by weighted least squares with the table's default frequencies and Qs
/// (the dB response is nearly linear in the gains), then Levenberg–Marquardt over all 13
/// parameters (gains in dB, frequencies and Qs in octaves, numerical derivatives), each step
/// clamped into the ranges. The residual is the difference of input + EQ and reference with
/// its mean over the judged bands removed (an EQ cannot and need not match the level). Bands below 40 Hz,
/// above 16 kHz and above 0.45 × the rate, and bands where either spectrum is more than
/// `silenceBelowPeakDecibels` under its loudest band, are ignored. Qs stay within
/// `fittedQRange` (one-third-octave bands cannot resolve sharper peaks), and the whole
/// response is capped at ±`maximumResponseDecibels` (gains scaled down when it would be
/// larger), so an absurd reference cannot make an absurd EQ.
public enum MatchingEQ {
    /// Largest |response| of a fitted EQ anywhere from 20 Hz to 20 kHz (below 0.45 × the rate).
    public static let maximumResponseDecibels = 12.0
    /// Bands fitted (centres inside): 40 Hz … 16 kHz.
    public static let fittedRangeHz: ClosedRange<Double> = 39 ... 16_500
    /// A band more than this far under the loudest band of either spectrum is near silence.
    public static let silenceBelowPeakDecibels = 60.0
    /// Qs of the fitted peaks.
    public static let fittedQRange: ClosedRange<Float> = 0.3 ... 4
    /// Bands of the tonal-balance distance (as EVALUATION.md's TBC): nominal 100 Hz … 10 kHz.
    public static let distanceRangeHz: ClosedRange<Double> = 99 ... 10_100

    /// The EQ that moves `input` towards `reference` (intensity 1; scale its gains with
    /// `EQSettings.scaled(by:)` for less). Flat when fewer than 4 bands are usable.
    public static func fit(input: [Double], reference: [Double], bandCentresHz: [Double],
                           sampleRateHz: Double) -> EQSettings {
        let problem = Problem(input: input, reference: reference, bandCentresHz: bandCentresHz,
                              sampleRateHz: sampleRateHz)
        guard problem.bands.count >= 4 else { return .flat }
        var best: (x: [Double], cost: Double)?
        for layout in startLayouts {
            let refined = problem.refine(problem.linearStart(layout))
            if best == nil || refined.cost < best!.cost { best = refined }
        }
        let x = best!.x
        return capped(problem.settings(x), sampleRateHz: sampleRateHz)
    }

    /// Where the fits start (frequencies in Hz of the five bands, Qs of the peaks): the
    /// table's defaults and two layouts shifted by an octave; the best result is kept.
    static let startLayouts: [(frequenciesHz: [Double], qs: [Double])] = [
        ([100, 300, 1000, 3000, 8000], [0.71, 0.71, 0.71]),
        ([60, 180, 600, 2000, 5000], [1.2, 1.2, 1.2]),
        ([200, 500, 1800, 5000, 12000], [1.2, 1.2, 1.2]),
    ]

    /// The settings with every gain scaled so the response stays within ±`maximumResponseDecibels`
    /// (from 20 Hz to 20 kHz): the correction limit's scaling (`CorrectionLimit.bounded`).
    public static func capped(_ settings: EQSettings, sampleRateHz: Double) -> EQSettings {
        CorrectionLimit.bounded(settings, limitDecibels: Float(maximumResponseDecibels),
                                grid: CorrectionLimit.grid(sampleRateHz: sampleRateHz))
    }

    /// `full` (a fit at intensity 1) with its `detail` at `intensity`, for audio whose long-term band
    /// levels are `input`, with its whole-file loudness-matching gain (of both stages).
    public static func atIntensity(_ full: EQSettings, detail: MatchingDetail = .flat, _ intensity: Float, input: [Double],
                                   bandCentresHz: [Double], sampleRateHz: Double)
        -> (eq: EQSettings, detail: MatchingDetail, loudnessGainDecibels: Float) {
        let eq = full.scaled(by: intensity), scaledDetail = detail.scaled(by: intensity)
        return (eq, scaledDetail, loudnessGainDecibels(eq, detail: scaledDetail, input: input, bandCentresHz: bandCentresHz,
                                                       sampleRateHz: sampleRateHz))
    }

    /// Response in dB on each band: |H|² averaged over the band (three points a ninth of an
    /// octave apart), as a one-third-octave analysis of the output would see it; with a
    /// `detail`, of the 5-band EQ followed by the detail stage.
    public static func responseDecibels(_ settings: EQSettings, detail: MatchingDetail = .flat, bandCentresHz: [Double],
                                        sampleRateHz: Double) -> [Double] {
        let grid = FrequencyGrid(frequenciesHz: subPoints(bandCentresHz), sampleRateHz: sampleRateHz)
        return bandResponses(designs(settings, detail: detail, sampleRateHz: sampleRateHz), grid: grid)
    }

    /// The 5-band EQ's filters followed by the detail's non-flat ones.
    static func designs(_ settings: EQSettings, detail: MatchingDetail, sampleRateHz: Double) -> [BiquadCoefficients] {
        (0..<EQSettings.bandCount).map { BiquadCoefficients(settings.band($0), sampleRateHz: sampleRateHz) }
            + detail.designs(sampleRateHz: sampleRateHz)
    }

    /// Tonal-balance distance (RMS dB over `distanceRangeHz`, level removed) of two band
    /// curves: the figure reference matching is judged by. Nil without a usable band.
    public static func tonalDistanceDecibels(_ a: [Double], _ b: [Double], bandCentresHz: [Double]) -> Double? {
        let d = bandCentresHz.indices.filter { distanceRangeHz.contains(bandCentresHz[$0]) && (a[$0] - b[$0]).isFinite }
            .map { a[$0] - b[$0] }
        guard !d.isEmpty else { return nil }
        let mean = d.reduce(0, +) / Double(d.count)
        return (d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d.count)).squareRoot()
    }

    /// The gain (dB) that keeps the K-weighted (BS.1770) power of audio with the long-term
    /// band levels `input` the same after `settings`: a whole-file loudness match, within
    /// ±`LoudnessMatch.maximumDecibels`. 0 for a flat EQ or without usable bands. With a
    /// `detail`, of the 5-band EQ and the detail stage together.
    public static func loudnessGainDecibels(_ settings: EQSettings, detail: MatchingDetail = .flat, input: [Double],
                                            bandCentresHz: [Double], sampleRateHz: Double) -> Float {
        let response = responseDecibels(settings, detail: detail, bandCentresHz: bandCentresHz, sampleRateHz: sampleRateHz)
        var before = 0.0, after = 0.0
        for k in bandCentresHz.indices where input[k].isFinite && response[k].isFinite {
            let p = pow(10, input[k] / 10) * KWeighting.powerGain(atFrequency: bandCentresHz[k], sampleRateHz: sampleRateHz)
            before += p
            after += p * pow(10, response[k] / 10)
        }
        // Above the top band up to Nyquist, where a high shelf still acts: the top band's
        // power density continued flat (as `LoudnessMatch` does above the mel range).
        if let top = bandCentresHz.indices.last(where: { input[$0].isFinite }) {
            let edge = bandCentresHz[top] * pow(2, 1.0 / 6), end = 0.49 * sampleRateHz
            let density = pow(10, input[top] / 10) / (edge - bandCentresHz[top] / pow(2, 1.0 / 6))
            let pieces = 4
            for i in 0..<pieces where end > edge {
                let low = edge * pow(end / edge, Double(i) / Double(pieces))
                let high = edge * pow(end / edge, Double(i + 1) / Double(pieces))
                let f = (low * high).squareRoot()
                let p = density * (high - low) * KWeighting.powerGain(atFrequency: f, sampleRateHz: sampleRateHz)
                before += p
                let decibels = settings.magnitudeDecibels(atFrequency: f, sampleRateHz: sampleRateHz)
                    + detail.magnitudeDecibels(atFrequency: f, sampleRateHz: sampleRateHz)
                after += p * pow(10, decibels / 10)
            }
        }
        guard before > 0, after > 0, before.isFinite, after.isFinite else { return 0 }
        let limit = Double(LoudnessMatch.maximumDecibels)
        return Float(min(max(10 * log10(before / after), -limit), limit))
    }

    static func subPoints(_ centres: [Double]) -> [Double] {
        centres.flatMap { c in [c * pow(2, -1.0 / 9), c, c * pow(2, 1.0 / 9)] }
    }

    static func bandResponses(_ designs: [BiquadCoefficients], grid: borrowing FrequencyGrid) -> [Double] {
        bandAverages(pointPowers(designs, grid: grid))
    }

    /// Per point of `grid`, the power gain of `designs` in cascade after `start` (the power
    /// gain of what comes before them; none by default).
    static func pointPowers(_ designs: [BiquadCoefficients], grid: borrowing FrequencyGrid,
                            after start: [Double]? = nil) -> [Double] {
        (0..<grid.count).map { i in
            var p = start?[i] ?? 1.0
            for c in designs { p *= grid.powerGain(c, at: i) }
            return p
        }
    }

    /// Band levels in dB from per-point power gains on a `subPoints` grid: |H|² averaged over
    /// each band's three points.
    static func bandAverages(_ power: [Double]) -> [Double] {
        (0..<(power.count / 3)).map { k in
            var sum = 0.0
            for i in (3 * k)..<(3 * k + 3) { sum += power[i] }
            return 10 * log10(max(sum / 3, 1e-30))
        }
    }

    /// Solves `a · x = b` by Gaussian elimination with partial pivoting; nil when singular.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a, v = b
        let n = v.count
        for col in 0..<n {
            let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            guard abs(m[pivot][col]) > 1e-12 else { return nil }
            m.swapAt(col, pivot); v.swapAt(col, pivot)
            for row in (col + 1)..<n {
                let f = m[row][col] / m[col][col]
                guard f != 0 else { continue }
                for c in col..<n { m[row][c] -= f * m[col][c] }
                v[row] -= f * v[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = v[row]
            for c in (row + 1)..<n { s -= m[row][c] * x[c] }
            x[row] = s / m[row][row]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}

private extension Int {
    /// Whether table index `self` is a gain.
    var isGain: Bool { EQParameter(rawValue: self)?.unit == .decibels }
}

/// One fit: the usable bands, their target differences and weights, and the parameter
/// vector's coordinates (gains in dB, frequencies and Qs as log2).
private struct Problem {
    let bands: [Int]
    let target: [Double]
    let weights: [Double]
    let centres: [Double]
    let sampleRateHz: Double
    let lower: [Double], upper: [Double]

    init(input: [Double], reference: [Double], bandCentresHz: [Double], sampleRateHz: Double) {
        self.sampleRateHz = sampleRateHz
        let n = min(input.count, reference.count, bandCentresHz.count)
        let peakIn = input.prefix(n).filter(\.isFinite).max() ?? 0
        let peakRef = reference.prefix(n).filter(\.isFinite).max() ?? 0
        let floor = MatchingEQ.silenceBelowPeakDecibels
        let valid = sampleRateHz.isFinite && sampleRateHz >= 1000
        bands = !valid ? [] : (0..<n).filter { k in
            let f = bandCentresHz[k]
            return input[k].isFinite && reference[k].isFinite && MatchingEQ.fittedRangeHz.contains(f)
                && f * pow(2, 1.0 / 6) <= 0.45 * sampleRateHz
                && input[k] > peakIn - floor && reference[k] > peakRef - floor
        }
        target = bands.map { reference[$0] - input[$0] }
        // The judged range (100 Hz … 10 kHz) counts fully, the rest a quarter.
        weights = bands.map { MatchingEQ.distanceRangeHz.contains(bandCentresHz[$0]) ? 1 : 0.25 }
        centres = bands.map { bandCentresHz[$0] }
        let nyquistGuard = Float(0.45 * (valid ? sampleRateHz : 44_100))
        var lo = [Double](), hi = [Double]()
        for p in EQParameter.allCases {
            switch p.unit {
            case .decibels: lo.append(Double(p.range.lowerBound)); hi.append(Double(p.range.upperBound))
            case .q: lo.append(Double(log2(MatchingEQ.fittedQRange.lowerBound))); hi.append(Double(log2(MatchingEQ.fittedQRange.upperBound)))
            default:
                let top = max(min(p.range.upperBound, nyquistGuard), p.range.lowerBound)
                lo.append(Double(log2(p.range.lowerBound))); hi.append(Double(log2(top)))
            }
        }
        (lower, upper) = (lo, hi)
    }

    /// The settings of `x`, clamped into the table's ranges (exp2 ∘ log2 may round a bound out).
    func settings(_ x: [Double]) -> EQSettings {
        EQSettings { p in
            let v = x[p.rawValue]
            return p.unit == .decibels ? Float(v) : Float(exp2(v))
        }.clamped
    }

    func clamped(_ x: [Double]) -> [Double] {
        x.indices.map { i in x[i].isFinite ? min(max(x[i], lower[i]), upper[i]) : (lower[i] + upper[i]) / 2 }
    }

    func responses(_ x: [Double]) -> [Double] {
        MatchingEQ.responseDecibels(settings(x), bandCentresHz: centres, sampleRateHz: sampleRateHz)
    }

    /// Weighted differences of (input + EQ) and reference with the weighted mean removed,
    /// then a light pull of the gains towards 0 dB (it keeps bands that do not help flat),
    /// then the excess of the response over the cap.
    func residuals(_ x: [Double]) -> [Double] {
        let response = responses(x)
        let difference = zip(response, target).map { $0 - $1 }
        // The level is that of the judged bands (as the TBC removes it), when there are any.
        let judged = weights.map { $0 == 1 ? 1.0 : 0 }
        let levelWeights = judged.contains(1) ? judged : weights
        let mean = zip(difference, levelWeights).reduce(0) { $0 + $1.0 * $1.1 } / levelWeights.reduce(0, +)
        var r = zip(difference, weights).map { ($0 - mean) * $1.squareRoot() }
        for i in x.indices where i.isGain { r.append(0.03 * x[i]) }
        for v in response { r.append(3 * max(abs(v) - MatchingEQ.maximumResponseDecibels, 0)) }
        return r
    }

    func cost(_ x: [Double]) -> Double { residuals(x).reduce(0) { $0 + $1 * $1 } }

    /// Levenberg–Marquardt from `start`, every step clamped into the ranges.
    func refine(_ start: [Double]) -> (x: [Double], cost: Double) {
        var x = start, cost = cost(start)
        var damping = 1e-2
        for _ in 0..<60 {
            let r = residuals(x)
            let jacobian = (0..<EQSettings.parameterCount).map { j -> [Double] in
                var y = x
                let h = j.isGain ? 1e-2 : 1e-3
                y[j] += h
                return zip(residuals(y), r).map { ($0 - $1) / h }
            }
            var normal = [[Double]](repeating: [Double](repeating: 0, count: 13), count: 13)
            var gradient = [Double](repeating: 0, count: 13)
            for a in 0..<13 {
                for b in a..<13 {
                    var s = 0.0
                    for k in r.indices { s += jacobian[a][k] * jacobian[b][k] }
                    normal[a][b] = s; normal[b][a] = s
                }
                for k in r.indices { gradient[a] -= jacobian[a][k] * r[k] }
            }
            var improved = false
            for _ in 0..<8 {
                var system = normal
                for a in 0..<13 { system[a][a] += damping * (normal[a][a] + 1e-6) }
                guard let step = MatchingEQ.solve(system, gradient) else { damping *= 4; continue }
                let candidate = clamped(zip(x, step).map(+))
                let c = self.cost(candidate)
                if c < cost {
                    improved = cost - c > 1e-9 * max(cost, 1)
                    (x, cost) = (candidate, c)
                    damping = max(damping / 3, 1e-7)
                    break
                }
                damping *= 4
            }
            if !improved { break }
        }
        return (x, cost)
    }

    /// Frequencies and Qs of `layout`; gains by least squares on the responses of each band at
    /// +6 dB (divided by 6), with a free level, clamped into range.
    func linearStart(_ layout: (frequenciesHz: [Double], qs: [Double])) -> [Double] {
        var x = [Double](repeating: 0, count: EQSettings.parameterCount)
        let frequencies: [EQParameter] = [.lowShelfFrequency, .peak1Frequency, .peak2Frequency, .peak3Frequency, .highShelfFrequency]
        for (p, f) in zip(frequencies, layout.frequenciesHz) { x[p.rawValue] = log2(f) }
        for (p, q) in zip([EQParameter.peak1Q, .peak2Q, .peak3Q], layout.qs) { x[p.rawValue] = log2(q) }
        x = clamped(x)
        let gainIndices = x.indices.filter(\.isGain)
        let basis = gainIndices.map { g -> [Double] in
            var y = x
            y[g] = 6
            return responses(y).map { $0 / 6 }
        }
        // Columns: five bands and a constant; weighted normal equations with a small ridge.
        let columns = basis + [[Double](repeating: 1, count: bands.count)]
        let m = columns.count
        var a = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
        var b = [Double](repeating: 0, count: m)
        for i in 0..<m {
            for j in 0..<m { a[i][j] = (0..<bands.count).reduce(0) { $0 + weights[$1] * columns[i][$1] * columns[j][$1] } }
            if i < m - 1 { a[i][i] += 1e-3 }
            b[i] = (0..<bands.count).reduce(0) { $0 + weights[$1] * columns[i][$1] * target[$1] }
        }
        guard let g = MatchingEQ.solve(a, b) else { return x }
        for (n, i) in gainIndices.enumerated() { x[i] = g[n] }
        return clamped(x)
    }
}

extension HostControls {
    /// These controls playing a matching EQ as a static manual EQ: `eq`, followed by the
    /// `detail` stage, and — when loudness matching is on — `loudnessGainDecibels` added to the
    /// output gain (within its range).
    public func playing(matchingEQ eq: EQSettings, detail: MatchingDetail = .flat, loudnessGainDecibels gain: Float) -> HostControls {
        var c = self
        c.mode = .manual
        c.manual = eq
        c.matchingDetail = detail
        if c.matchesLoudness {
            let range = ControlParameter.outputGain.range
            c.outputGainDecibels = min(max(c.outputGainDecibels + gain, range.lowerBound), range.upperBound)
        }
        return c
    }
}
