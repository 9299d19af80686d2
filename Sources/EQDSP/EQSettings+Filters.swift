/// The 5-band setting as filters: what the cascade runs and its analytic response.
extension EQSettings {
    /// Band `index` (0…4) as filter parameters.
    @inlinable
    public func band(_ index: Int) -> BandParameters {
        switch index {
        case 0: BandParameters(kind: .lowShelf, frequencyHz: f1, gainDecibels: g1, q: BandParameters.shelfQ)
        case 1: BandParameters(kind: .peaking, frequencyHz: f2, gainDecibels: g2, q: q2)
        case 2: BandParameters(kind: .peaking, frequencyHz: f3, gainDecibels: g3, q: q3)
        case 3: BandParameters(kind: .peaking, frequencyHz: f4, gainDecibels: g4, q: q4)
        default: BandParameters(kind: .highShelf, frequencyHz: f5, gainDecibels: g5, q: BandParameters.shelfQ)
        }
    }

    /// Analytic magnitude response of the 5-band cascade in dB.
    public func magnitudeDecibels(atFrequency frequencyHz: Double, sampleRateHz: Double) -> Double {
        (0..<Self.bandCount).reduce(0) {
            $0 + band($1).magnitudeDecibels(atFrequency: frequencyHz, sampleRateHz: sampleRateHz)
        }
    }
}
