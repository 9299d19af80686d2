import EQAnalysis
import Foundation
import Testing

/// The long-term spectrum: where a sine's energy lands, white noise's +1 dB per band, the
/// gate, and independence from how the stream is cut into calls.
@Suite struct LongTermSpectrumTests {
    func measure(_ x: [Float], channels: Int = 1, rate: Double = 44_100, chunk: Int = 4096) -> [Double]? {
        let s = LongTermSpectrum(sampleRateHz: rate)
        var copy = x
        copy.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            while start < x.count {
                let n = min(chunk, x.count - start)
                var pointers = [UnsafeMutablePointer<Float>](repeating: buffer.baseAddress! + start, count: channels)
                pointers.withUnsafeMutableBufferPointer { s.add($0.baseAddress!, channelCount: channels, frameCount: n) }
                start += n
            }
        }
        return s.bandLevelsDecibels
    }

    @Test func aSineLandsInItsBandAndWhiteNoiseRisesOneDecibelPerBand() throws {
        let sine = (0..<88_200).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 44_100)) }
        let levels = try #require(measure(sine))
        let loudest = levels.indices.max { levels[$0] < levels[$1] }!
        #expect(LongTermSpectrum.bandCentresHz[loudest] == 1000)
        var state: UInt64 = 7
        let white = (0..<441_000).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 11) / Float(1 << 52) * 0.3
        }
        let w = try #require(measure(white))
        let centres = LongTermSpectrum.bandCentresHz
        // +3 dB per octave; band by band within 0.3 dB above 1 kHz (a band's edges fall
        // between bins, which matters less the more bins it holds).
        let bands = (1..<w.count).filter { centres[$0] > 200 && centres[$0] < 15_000 }
        let slopes = bands.filter { centres[$0] > 1000 }.map { w[$0] - w[$0 - 1] }
        #expect(slopes.allSatisfy { abs($0 - 1) < 0.3 }, "\(slopes)")
        let overall = (w[bands.last!] - w[bands.first! - 1]) / Double(bands.count)
        #expect(abs(overall - 1) < 0.05, "\(overall) dB per band")
    }

    @Test func chunkingChannelsAndRatesDoNotChangeTheResult() throws {
        let x = (0..<100_000).map { Float(0.3 * sin(0.001 * Double($0 * $0 % 977))) }
        let a = try #require(measure(x, chunk: 4096))
        #expect(measure(x, chunk: 1) == a && measure(x, chunk: 70_001) == a)
        #expect(measure(x, channels: 2) == a)  // the mono mix of identical channels
        let fast = try #require(measure(x, rate: 96_000))
        #expect(fast.allSatisfy { !$0.isInfinite })
        let slow = try #require(measure(x, rate: 8_000))
        #expect(slow.last!.isNaN && slow[10].isFinite)  // above 0.45 × the rate: no band
    }

    @Test func silenceAndShortInputGiveNothing() {
        #expect(measure([Float](repeating: 0, count: 50_000)) == nil)
        #expect(measure([Float](repeating: 0.0001, count: 50_000)) == nil)  // -80 dBFS, under the gate
        #expect(measure([Float](repeating: 0.5, count: 3000)) == nil)       // shorter than one frame
        #expect(measure([Float](repeating: .nan, count: 50_000)) == nil)
    }
}
