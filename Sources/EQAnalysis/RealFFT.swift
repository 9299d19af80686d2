import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Forward FFT of a real signal whose length is a power of two (4 … 65536).
///
/// The transform packs the real input into a complex sequence of half the length, runs an
/// iterative radix-2 decimation-in-time FFT on it and untangles the two interleaved spectra,
/// so one real transform costs about one complex transform of half the size.
/// Twiddle factors (computed in `Double`, stored as `Float`) and the bit-reversal table are
/// built once in `init`; `forward` and `powerSpectrum` allocate nothing and are real-time safe.
///
/// An instance owns scratch memory, so one instance must not be used from two threads at once.
/// Output convention: `X[k] = Σ x[n]·e^{−2πikn/N}` for `k = 0 … N/2` (no scaling).
public final class RealFFT {
    /// Transform length N (real samples in).
    public let size: Int
    /// Number of output bins, `N/2 + 1`.
    public var binCount: Int { size / 2 + 1 }

    private let half: Int
    private let log2Half: Int
    /// Bit-reversed index for each of the `half` complex points.
    private let bitReverse: UnsafeMutablePointer<Int32>
    /// Twiddles of the complex FFT, one contiguous run per stage so the butterflies (the C
    /// kernel `aeq_fft_stages`) load them a vector at a time: the stage of span s (4 ≤ s < half)
    /// keeps `e^{−πik/s}`, k < s, at offset s.
    private let twiddleRe: UnsafeMutablePointer<Float>
    private let twiddleIm: UnsafeMutablePointer<Float>
    /// `e^{−2πik/N}` for `k ≤ half/2`, the twiddles of the real/complex split.
    private let splitRe: UnsafeMutablePointer<Float>
    private let splitIm: UnsafeMutablePointer<Float>
    /// Working complex sequence, `half` points.
    private let workRe: UnsafeMutablePointer<Float>
    private let workIm: UnsafeMutablePointer<Float>

    /// Creates a transform of `size` real points. Allocates; call outside the audio thread.
    /// - Precondition: `size` is a power of two between 4 and 65536.
    public init(size: Int) {
        precondition(size >= 4 && size <= 65536 && size & (size - 1) == 0,
                     "RealFFT size must be a power of two in 4…65536, got \(size)")
        self.size = size
        half = size / 2
        var bits = 0
        while (1 << bits) < half { bits += 1 }
        log2Half = bits

        bitReverse = .allocate(capacity: half)
        for i in 0..<half {
            var r = 0
            var v = i
            for _ in 0..<bits {
                r = (r << 1) | (v & 1)
                v >>= 1
            }
            bitReverse[i] = Int32(r)
        }
        twiddleRe = .allocate(capacity: max(half, 4))
        twiddleIm = .allocate(capacity: max(half, 4))
        twiddleRe.initialize(repeating: 0, count: max(half, 4))
        twiddleIm.initialize(repeating: 0, count: max(half, 4))
        var span = 4
        while span < half {
            for k in 0..<span {
                let angle = -Double.pi * Double(k) / Double(span)
                twiddleRe[span + k] = Float(cos(angle))
                twiddleIm[span + k] = Float(sin(angle))
            }
            span *= 2
        }
        splitRe = .allocate(capacity: half / 2 + 1)
        splitIm = .allocate(capacity: half / 2 + 1)
        for k in 0...(half / 2) {
            let angle = -2.0 * Double.pi * Double(k) / Double(size)
            splitRe[k] = Float(cos(angle))
            splitIm[k] = Float(sin(angle))
        }
        workRe = .allocate(capacity: half)
        workIm = .allocate(capacity: half)
        workRe.initialize(repeating: 0, count: half)
        workIm.initialize(repeating: 0, count: half)
    }

    deinit {
        bitReverse.deallocate()
        twiddleRe.deallocate()
        twiddleIm.deallocate()
        splitRe.deallocate()
        splitIm.deallocate()
        workRe.deallocate()
        workIm.deallocate()
    }

    /// Computes the complex spectrum of `size` real samples.
    /// - Parameters:
    ///   - input: `size` samples.
    ///   - real: receives `binCount` real parts.
    ///   - imaginary: receives `binCount` imaginary parts (bins 0 and N/2 are exactly 0).
    public func forward(_ input: UnsafePointer<Float>,
                        real: UnsafeMutablePointer<Float>,
                        imaginary: UnsafeMutablePointer<Float>) {
        transformPacked(input)
        let n2 = half
        let zr = workRe, zi = workIm
        let sr = splitRe, si = splitIm
        // DC and Nyquist come from the first packed point alone.
        real[0] = zr[0] + zi[0]
        imaginary[0] = 0
        real[n2] = zr[0] - zi[0]
        imaginary[n2] = 0
        var k = 1
        while k <= n2 / 2 {
            let j = n2 - k
            // Even part E = (Z[k] + conj Z[j]) / 2, odd part O = (Z[k] − conj Z[j]) / (2i).
            let er = 0.5 * (zr[k] + zr[j])
            let ei = 0.5 * (zi[k] - zi[j])
            let or = 0.5 * (zi[k] + zi[j])
            let oi = -0.5 * (zr[k] - zr[j])
            // X[k] = E + W^k·O and X[N/2−k] = conj(E − W^k·O).
            let wr = sr[k], wi = si[k]
            let tr = wr * or - wi * oi
            let ti = wr * oi + wi * or
            real[k] = er + tr
            imaginary[k] = ei + ti
            real[j] = er - tr
            imaginary[j] = -(ei - ti)
            k += 1
        }
    }

    /// Computes `|X[k]|²` for `k = 0 … N/2` into `power` (`binCount` values).
    /// Real-time safe; the one-sided power is not doubled.
    public func powerSpectrum(_ input: UnsafePointer<Float>, into power: UnsafeMutablePointer<Float>) {
        transformPacked(input)
        let n2 = half
        let zr = workRe, zi = workIm
        let sr = splitRe, si = splitIm
        let dc = zr[0] + zi[0]
        let ny = zr[0] - zi[0]
        power[0] = dc * dc
        power[n2] = ny * ny
        // Four bins k … k+3 at a time, with their mirrors N/2−k−3 … N/2−k loaded as vectors
        // and lane-reversed, while both groups stay strictly on their side of N/4.
        typealias V = SIMD4<Float>
        let rr = UnsafeRawPointer(zr), ri = UnsafeRawPointer(zi)
        let wrr = UnsafeRawPointer(sr), wir = UnsafeRawPointer(si)
        let pr = UnsafeMutableRawPointer(power)
        let half4 = V(repeating: 0.5)
        var k = 1
        while k + 3 < n2 / 2 {
            let j = n2 - k - 3
            let akr = rr.loadUnaligned(fromByteOffset: 4 * k, as: V.self)
            let aki = ri.loadUnaligned(fromByteOffset: 4 * k, as: V.self)
            let mj = rr.loadUnaligned(fromByteOffset: 4 * j, as: V.self)
            let nj = ri.loadUnaligned(fromByteOffset: 4 * j, as: V.self)
            let ajr = V(mj[3], mj[2], mj[1], mj[0])
            let aji = V(nj[3], nj[2], nj[1], nj[0])
            let er = half4 * (akr + ajr)
            let ei = half4 * (aki - aji)
            let or = half4 * (aki + aji)
            let oi = half4 * (ajr - akr)
            let wr = wrr.loadUnaligned(fromByteOffset: 4 * k, as: V.self)
            let wi = wir.loadUnaligned(fromByteOffset: 4 * k, as: V.self)
            let tr = wr * or - wi * oi
            let ti = wr * oi + wi * or
            let ar = er + tr, ai = ei + ti
            let br = er - tr, bi = ei - ti
            pr.storeBytes(of: ar * ar + ai * ai, toByteOffset: 4 * k, as: V.self)
            let pj = br * br + bi * bi
            pr.storeBytes(of: V(pj[3], pj[2], pj[1], pj[0]), toByteOffset: 4 * j, as: V.self)
            k += 4
        }
        while k <= n2 / 2 {
            let j = n2 - k
            let er = 0.5 * (zr[k] + zr[j])
            let ei = 0.5 * (zi[k] - zi[j])
            let or = 0.5 * (zi[k] + zi[j])
            let oi = -0.5 * (zr[k] - zr[j])
            let wr = sr[k], wi = si[k]
            let tr = wr * or - wi * oi
            let ti = wr * oi + wi * or
            let ar = er + tr, ai = ei + ti
            let br = er - tr, bi = ei - ti
            power[k] = ar * ar + ai * ai
            power[j] = br * br + bi * bi
            k += 1
        }
    }

    /// Loads `input` as `half` complex points (even samples real, odd imaginary) in
    /// bit-reversed order, then runs the in-place radix-2 butterflies on `work`.
    @inline(__always)
    private func transformPacked(_ input: UnsafePointer<Float>) {
        let n2 = half
        let zr = workRe, zi = workIm, rev = bitReverse
        if n2 >= 4 {
            // Gather in bit-reversed order and run the first two stages (twiddles 1 and −i)
            // in registers, four points at a time: one pass instead of three.
            var i = 0
            while i < n2 {
                let p0 = 2 * Int(rev[i]), p1 = 2 * Int(rev[i + 1])
                let p2 = 2 * Int(rev[i + 2]), p3 = 2 * Int(rev[i + 3])
                let x0r = input[p0], x0i = input[p0 + 1], x1r = input[p1], x1i = input[p1 + 1]
                let x2r = input[p2], x2i = input[p2 + 1], x3r = input[p3], x3i = input[p3 + 1]
                // Span 1.
                let ar = x0r + x1r, ai = x0i + x1i, br = x0r - x1r, bi = x0i - x1i
                let cr = x2r + x3r, ci = x2i + x3i, dr = x2r - x3r, di = x2i - x3i
                // Span 2: (a, c) with twiddle 1, (b, d) with −i, and d·(−i) = (di, −dr).
                zr[i] = ar + cr; zi[i] = ai + ci
                zr[i + 2] = ar - cr; zi[i + 2] = ai - ci
                zr[i + 1] = br + di; zi[i + 1] = bi - dr
                zr[i + 3] = br - di; zi[i + 3] = bi + dr
                i += 4
            }
        } else {
            // N = 4: two complex points, one butterfly.
            let x0r = input[0], x0i = input[1], x1r = input[2], x1i = input[3]
            zr[0] = x0r + x1r; zi[0] = x0i + x1i
            zr[1] = x0r - x1r; zi[1] = x0i - x1i
        }
        // Remaining stages: C, eight butterflies at a time with AVX2 (same arithmetic).
        aeq_fft_stages(zr, zi, twiddleRe, twiddleIm, Int32(n2))
    }
}
