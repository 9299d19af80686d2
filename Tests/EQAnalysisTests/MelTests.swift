import EQAnalysis
import EQInference
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Path of a file under `Tests/`, found from this source file's location.
func testsPath(_ relative: String, file: String = #filePath) -> String {
    var parts = file.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(2)  // EQAnalysisTests/MelTests.swift
    return parts.joined(separator: "/") + "/" + relative
}

func fileExists(_ path: String) -> Bool { access(path, R_OK) == 0 }

@Suite struct MelTests {
    @Test func scalingRuleForSampleRates() {
        let c = MelConfiguration()
        let cases: [(Double, Int, Int)] = [(8000, 256, 128), (11025, 256, 128), (16000, 512, 256),
                                           (22050, 512, 256), (32000, 1024, 512), (44100, 1024, 512),
                                           (48000, 1024, 512), (88200, 2048, 1024), (96000, 2048, 1024),
                                           (176400, 4096, 2048), (192000, 4096, 2048)]
        for (fs, n, h) in cases {
            let s = c.scaledSizes(sampleRateHz: fs)
            #expect(s.fftSize == n && s.hopSize == h, "fs \(fs): \(s)")
        }
        // Nonsensical rates fall back to the reference sizes instead of trapping.
        for fs in [Double.nan, 0, -44100, .infinity] {
            let s = c.scaledSizes(sampleRateHz: fs)
            #expect(s.fftSize == 1024 && s.hopSize == 512)
        }
    }

    @Test func periodicHann() {
        var w = [Float](repeating: 0, count: 8)
        fillPeriodicHann(&w, count: 8)
        #expect(w[0] == 0 && abs(w[4] - 1) < 1e-7 && abs(w[2] - 0.5) < 1e-7 && abs(w[1] - w[7]) < 1e-7)
    }

    @Test func htkMelRoundTrip() {
        #expect(abs(htkMel(hz: 700) - 2595 * log10(2.0)) < 1e-9)
        for f in [20.0, 440, 1000, 16000] { #expect(abs(htkHz(mel: htkMel(hz: f)) - f) < 1e-6) }
    }

    @Test func filterbankShapeProperties() {
        let fb = MelFilterbank(configuration: MelConfiguration(), sampleRateHz: 44100)
        let dense = MelFilterbank.denseWeights(bandCount: 64, fftSize: 1024, sampleRateHz: 44100,
                                               minimumFrequencyHz: 20, maximumFrequencyHz: 16000)
        let bins = 513
        var previousPeak = -1
        for m in 0..<64 {
            let row = Array(dense[(m * bins)..<((m + 1) * bins)])
            #expect(row.allSatisfy { $0 >= 0 && $0 <= 1 })
            // Non-zero span is one contiguous run (a triangle), and the sparse form agrees.
            let nz = row.indices.filter { row[$0] > 0 }
            if let first = nz.first, let last = nz.last { #expect(last - first + 1 == nz.count) }
            for k in 0..<bins { #expect(fb.weight(band: m, bin: k) == row[k]) }
            // Peaks move upward with the band index.
            if let peak = row.indices.max(by: { row[$0] < row[$1] }), row[peak] > 0 {
                #expect(peak >= previousPeak)
                previousPeak = peak
            }
        }
        // The top band's upper edge is 16 kHz: nothing at or above bin ⌈16000·1024/44100⌉.
        let topBin = Int((16000.0 * 1024 / 44100).rounded(.up))
        for k in topBin..<bins { #expect(dense[63 * bins + k] == 0) }
    }

    @Test func bandsAboveNyquistAreEmptyAtLowRates() {
        let a = LogMelAnalyzer(sampleRateHz: 8000)
        #expect(a.fftSize == 256)
        let x = testSignal(256, seed: 5)
        var out = [Float](repeating: 0, count: 64)
        a.analyze(frame: x, into: &out)
        // Mel points above 4 kHz: those bands read exactly the −100 dB floor.
        let melLo = htkMel(hz: 20), melHi = htkMel(hz: 16000)
        for m in 0..<64 where htkHz(mel: melLo + Double(m) * (melHi - melLo) / 65) >= 4000 {
            #expect(out[m] == -100)
        }
        #expect(out[30] > -100)
        #expect(out.allSatisfy { $0.isFinite })
    }

    @Test(arguments: [8000.0, 22050, 44100, 48000, 96000, 192000])
    func sineShowsUpInTheRightBand(sampleRateHz: Double) {
        let a = LogMelAnalyzer(sampleRateHz: sampleRateHz)
        let f = 1000.0
        let x = (0..<a.fftSize).map { Float(0.5 * sin(2 * Double.pi * f * Double($0) / sampleRateHz)) }
        var out = [Float](repeating: 0, count: 64)
        a.analyze(frame: x, into: &out)
        let loudest = out.indices.max { out[$0] < out[$1] }!
        let melLo = htkMel(hz: 20), melHi = htkMel(hz: 16000)
        let centre = htkHz(mel: melLo + Double(loudest + 1) * (melHi - melLo) / 65)
        #expect(abs(log2(centre / f)) < 0.5, "band \(loudest) centred at \(centre) Hz")
    }

    @Test func silenceReadsTheFloor() {
        let a = LogMelAnalyzer(sampleRateHz: 44100)
        var out = [Float](repeating: 0, count: 64)
        a.analyze(frame: [Float](repeating: 0, count: 1024), into: &out)
        #expect(out.allSatisfy { $0 == -100 })
        // A NaN sample cannot poison the column either.
        var bad = [Float](repeating: 0.1, count: 1024)
        bad[100] = .nan
        a.analyze(frame: bad, into: &out)
        #expect(out.allSatisfy { $0.isFinite })
        bad[100] = .infinity
        a.analyze(frame: bad, into: &out)
        #expect(out.allSatisfy { $0.isFinite })
        a.analyze(frame: [Float](repeating: 3e38, count: 1024), into: &out)
        #expect(out.allSatisfy { $0.isFinite })
    }

    /// Compares the rebuilt filterbank with the one the training pipeline exported.
    @Test func matchesStoredFilterbank() throws {
        let path = GoldenFiles.modelPath
        guard fileExists(path) else { return }  // model not exported yet
        let file = try SafetensorsFile(path: path)
        let stored = try file.floats("mel.filterbank", shape: [64, 513])
        let ours = MelFilterbank.denseWeights(bandCount: 64, fftSize: 1024, sampleRateHz: 44100,
                                              minimumFrequencyHz: 20, maximumFrequencyHz: 16000)
        var worst: Float = 0
        for i in 0..<stored.count { worst = max(worst, abs(stored[i] - ours[i])) }
        #expect(worst < 1e-5, "max |Δfb| = \(worst)")
    }
}
