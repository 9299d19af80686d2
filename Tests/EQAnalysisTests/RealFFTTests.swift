import CKernels
import EQAnalysis
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic noise in [−1, 1).
func testSignal(_ count: Int, seed: UInt64) -> [Float] {
    var s = seed &* 2862933555777941757 &+ 3037000493
    return (0..<count).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Float(s >> 40) / Float(1 << 23) - 1
    }
}

@Suite(.serialized) struct RealFFTTests {
    /// The butterflies are a C kernel built for baseline x86-64 and for AVX2 (eight at a time):
    /// both copies give the same bits, for every size from the smallest on.
    @Test(.enabled(if: aeq_kernels_set_wide(1) == 1, "the processor has no AVX2"))
    func bothKernelCopiesGiveTheSameBits() {
        for bits in 2...16 {
            let size = 1 << bits
            let x = testSignal(size, seed: UInt64(bits))
            let fft = RealFFT(size: size)
            func spectra(wide: Int32) -> [Float] {
                #expect(aeq_kernels_set_wide(wide) == wide)
                defer { aeq_kernels_set_wide(1) }
                var re = [Float](repeating: 0, count: size / 2 + 1), im = re, p = re
                fft.forward(x, real: &re, imaginary: &im)
                fft.powerSpectrum(x, into: &p)
                return re + im + p
            }
            let baseline = spectra(wide: 0), wide = spectra(wide: 1)
            #expect(baseline.map(\.bitPattern) == wide.map(\.bitPattern), "size \(size)")
        }
    }

    @Test(arguments: [4, 8, 16, 64, 256, 1024, 2048, 4096])
    func matchesNaiveDFT(size: Int) {
        let x = testSignal(size, seed: UInt64(size))
        let fft = RealFFT(size: size)
        var re = [Float](repeating: 0, count: size / 2 + 1), im = re
        fft.forward(x, real: &re, imaginary: &im)
        var worst = 0.0, scale = 0.0
        for k in 0...(size / 2) {
            var sr = 0.0, si = 0.0
            for n in 0..<size {
                let a = -2 * Double.pi * Double(k * n % size) / Double(size)
                sr += Double(x[n]) * cos(a)
                si += Double(x[n]) * sin(a)
            }
            worst = max(worst, abs(sr - Double(re[k])), abs(si - Double(im[k])))
            scale = max(scale, (sr * sr + si * si).squareRoot())
        }
        #expect(worst / scale < 2e-6, "relative error \(worst / scale)")
    }

    @Test(arguments: [256, 1024, 4096])
    func parsevalHolds(size: Int) {
        let x = testSignal(size, seed: 7)
        let fft = RealFFT(size: size)
        var p = [Float](repeating: 0, count: size / 2 + 1)
        fft.powerSpectrum(x, into: &p)
        // Σ|x|² = (1/N)(|X0|² + 2Σ_{0<k<N/2}|Xk|² + |X_{N/2}|²)
        var spectral = Double(p[0]) + Double(p[size / 2])
        for k in 1..<(size / 2) { spectral += 2 * Double(p[k]) }
        spectral /= Double(size)
        let temporal = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(spectral - temporal) / temporal < 1e-5)
    }

    @Test func powerSpectrumAgreesWithComplexSpectrum() {
        let x = testSignal(1024, seed: 3)
        let fft = RealFFT(size: 1024)
        var re = [Float](repeating: 0, count: 513), im = re, p = re
        fft.forward(x, real: &re, imaginary: &im)
        fft.powerSpectrum(x, into: &p)
        for k in 0..<513 {
            let q = re[k] * re[k] + im[k] * im[k]
            #expect(abs(q - p[k]) <= 1e-5 * max(q, 1))
        }
    }

    @Test func sineLandsInItsBin() {
        let n = 1024
        let x = (0..<n).map { Float(sin(2 * Double.pi * 37 * Double($0) / Double(n))) }
        var p = [Float](repeating: 0, count: 513)
        RealFFT(size: n).powerSpectrum(x, into: &p)
        #expect(p.firstIndex(of: p.max()!) == 37)
        #expect(abs(p[37] - Float(n * n / 4)) / Float(n * n / 4) < 1e-5)
    }
}
