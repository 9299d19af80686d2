import EQAnalysis
import Testing

@Suite struct MelRingTests {
    /// Offline framing: frame t is samples [t·hop, t·hop + n_fft).
    func offlineColumns(_ x: [Float], analyzer: LogMelAnalyzer) -> [[Float]] {
        var out: [[Float]] = []
        var t = 0
        while t * analyzer.hopSize + analyzer.fftSize <= x.count {
            var col = [Float](repeating: 0, count: 64)
            x.withUnsafeBufferPointer { b in
                analyzer.analyze(frame: b.baseAddress! + t * analyzer.hopSize, into: &col)
            }
            out.append(col)
            t += 1
        }
        return out
    }

    @Test(arguments: [44100.0, 8000, 96000])
    func chunkingDoesNotChangeColumns(sampleRateHz: Double) {
        let analyzer = LogMelAnalyzer(sampleRateHz: sampleRateHz)
        let x = testSignal(analyzer.hopSize * 40 + analyzer.fftSize + 77, seed: 1)
        let reference = offlineColumns(x, analyzer: LogMelAnalyzer(sampleRateHz: sampleRateHz))
        let chunkPatterns: [[Int]] = [[x.count], [1], [64], [512], [4096], [3, 1000, 17, 1, 555, 2048]]
        for pattern in chunkPatterns {
            let ring = MelRing(analyzer: LogMelAnalyzer(sampleRateHz: sampleRateHz), capacity: 64)
            var pos = 0, i = 0
            x.withUnsafeBufferPointer { b in
                while pos < x.count {
                    let n = min(pattern[i % pattern.count], x.count - pos)
                    ring.push(b.baseAddress! + pos, count: n)
                    pos += n
                    i += 1
                }
            }
            #expect(ring.framesProduced == reference.count)
            for t in max(0, ring.framesProduced - ring.capacity)..<ring.framesProduced {
                let col = Array(UnsafeBufferPointer(start: ring.column(frame: t), count: 64))
                #expect(col == reference[t], "pattern \(pattern) frame \(t)")
            }
        }
    }

    @Test func copyWindowIsMelMajorAndPadsWithFloor() {
        let analyzer = LogMelAnalyzer(sampleRateHz: 44100)
        let ring = MelRing(analyzer: analyzer, capacity: 8)
        let x = testSignal(1024 + 512 * 2, seed: 2)   // exactly 3 frames
        ring.push(x, count: x.count)
        #expect(ring.framesProduced == 3)
        var window = [Float](repeating: 0, count: 64 * 5)
        ring.copyWindow(frameCount: 5, into: &window)
        for m in 0..<64 {
            #expect(window[m * 5] == -100 && window[m * 5 + 1] == -100)
            #expect(window[m * 5 + 4] == ring.column(frame: 2)[m])
            #expect(window[m * 5 + 2] == ring.column(frame: 0)[m])
        }
        ring.reset()
        #expect(ring.framesProduced == 0 && ring.samplesUntilNextFrame == 1024)
    }
}
