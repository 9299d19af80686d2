import Foundation

/// |DTFT| of `x` at `frequencyHz`, in dB (direct evaluation, double precision).
public func dtftMagnitudeDecibels(_ x: [Float], frequencyHz: Double, sampleRateHz: Double) -> Double {
    let w = 2 * Double.pi * frequencyHz / sampleRateHz
    // Rotating phasor with periodic re-normalisation keeps the sum accurate for long inputs.
    var re = 0.0, im = 0.0, cr = 1.0, ci = 0.0
    let sr = cos(w), si = -sin(w)
    for (n, v) in x.enumerated() {
        re += Double(v) * cr
        im += Double(v) * ci
        (cr, ci) = (cr * sr - ci * si, cr * si + ci * sr)
        if n & 1023 == 1023 { let m = (cr * cr + ci * ci).squareRoot(); cr /= m; ci /= m }
    }
    return 10 * log10(re * re + im * im)
}

/// A deterministic generator so failures reproduce (SplitMix64).
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    mutating public func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Fourth-order Butterworth high-pass (two RBJ high-pass biquads), as the click measurement
/// of EVALUATION.md uses.
public func butterworthHighPass4(_ x: [Float], cutoffHz: Double, sampleRateHz: Double) -> [Double] {
    var y = x.map(Double.init)
    for q in [0.541_196_100_146_197, 1.306_562_964_876_376_8] {
        let w0 = 2 * Double.pi * cutoffHz / sampleRateHz, alpha = sin(w0) / (2 * q), c = cos(w0)
        let a0 = 1 + alpha
        let b0 = (1 + c) / 2 / a0, b1 = -(1 + c) / a0, b2 = (1 + c) / 2 / a0
        let a1 = -2 * c / a0, a2 = (1 - alpha) / a0
        var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
        for i in y.indices {
            let v = y[i]
            let out = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            (x2, x1, y2, y1) = (x1, v, y1, out)
            y[i] = out
        }
    }
    return y
}

public func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "aeq-tests-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Spectral centroid (Hz) of the mono mix, from a Hann-windowed power spectrum averaged over
/// 4096-sample frames (direct DFT would be too slow; a radix-2 FFT is written out here).
public func spectralCentroid(channels: [[Float]], sampleRate: Int) -> Double {
    let n = 4096
    let frames = channels.first?.count ?? 0
    let mono = (0..<frames).map { i in channels.map { Double($0[i]) }.reduce(0, +) / Double(channels.count) }
    var power = [Double](repeating: 0, count: n / 2 + 1)
    var start = 0
    while start + n <= mono.count {
        var re = (0..<n).map { i in mono[start + i] * (0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(n))) }
        var im = [Double](repeating: 0, count: n)
        fft(&re, &im)
        for k in 0...(n / 2) { power[k] += re[k] * re[k] + im[k] * im[k] }
        start += n / 2
    }
    let total = power.reduce(0, +)
    let weighted = power.enumerated().map { Double($0.offset) * Double(sampleRate) / Double(n) * $0.element }.reduce(0, +)
    return weighted / max(total, 1e-30)
}

/// In-place iterative radix-2 complex FFT (test helper).
public func fft(_ re: inout [Double], _ im: inout [Double]) {
    let n = re.count
    var j = 0
    for i in 1..<n {
        var bit = n >> 1
        while j & bit != 0 { j ^= bit; bit >>= 1 }
        j |= bit
        if i < j { re.swapAt(i, j); im.swapAt(i, j) }
    }
    var len = 2
    while len <= n {
        let ang = -2 * Double.pi / Double(len)
        for i in stride(from: 0, to: n, by: len) {
            for k in 0..<(len / 2) {
                let wr = cos(ang * Double(k)), wi = sin(ang * Double(k))
                let ur = re[i + k], ui = im[i + k]
                let vr = re[i + k + len / 2] * wr - im[i + k + len / 2] * wi
                let vi = re[i + k + len / 2] * wi + im[i + k + len / 2] * wr
                re[i + k] = ur + vr; im[i + k] = ui + vi
                re[i + k + len / 2] = ur - vr; im[i + k + len / 2] = ui - vi
            }
        }
        len <<= 1
    }
}


/// Tonal balance curve as EVALUATION.md defines it: mono mix, Welch power spectrum (Hann
/// 4096, hop 2048, frames quieter than −60 dBFS RMS dropped), summed into the 28 third-octave
/// bands 31.5 Hz … 16 kHz, in dB, minus the mean over the bands 100 Hz … 10 kHz.
public func tonalBalanceCurve(channels: [[Float]], sampleRate: Int) -> [Double] {
    let n = 4096, hop = 2048
    let frames = channels.first?.count ?? 0
    let mono = (0..<frames).map { i in channels.map { Double($0[i]) }.reduce(0, +) / Double(channels.count) }
    let window = (0..<n).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n - 1)) }
    var power = [Double](repeating: 0, count: n / 2 + 1)
    var used = 0
    var start = 0
    while start + n < mono.count {
        let segment = mono[start..<(start + n)]
        let rms = (segment.map { $0 * $0 }.reduce(0, +) / Double(n)).squareRoot()
        if rms > 0.001 {
            var re = zip(segment, window).map { $0 * $1 }
            var im = [Double](repeating: 0, count: n)
            fft(&re, &im)
            for k in 0...(n / 2) { power[k] += re[k] * re[k] + im[k] * im[k] }
            used += 1
        }
        start += hop
    }
    let centres = (-15...12).map { 1000 * pow(2, Double($0) / 3) }
    guard used > 0 else { return [Double](repeating: 0, count: centres.count) }
    let bands = centres.map { c -> Double in
        let lo = c * pow(2, -1.0 / 6), hi = c * pow(2, 1.0 / 6)
        var sum = 0.0
        for k in 0...(n / 2) {
            let f = Double(k) * Double(sampleRate) / Double(n)
            if f >= lo && f < hi { sum += power[k] / Double(used) }
        }
        return 10 * log10(sum + 1e-20)
    }
    let reference = zip(centres, bands).filter { $0.0 >= 100 && $0.0 <= 10_000 }.map(\.1)
    let mean = reference.reduce(0, +) / Double(reference.count)
    return bands.map { $0 - mean }
}

/// Mean pairwise RMS difference of curves (dB).
public func spread(_ curves: [[Double]]) -> Double {
    var total = 0.0, pairs = 0
    for i in curves.indices { for j in curves.indices where j > i {
        let d = zip(curves[i], curves[j]).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(curves[i].count)
        total += d.squareRoot(); pairs += 1
    } }
    return total / Double(max(pairs, 1))
}

/// Pearson correlation.
public func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
    return sab / max((saa * sbb).squareRoot(), 1e-30)
}

/// What a finished child process left behind.
public struct ProcessResult {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// True when the time limit ran out and the process was terminated.
    public var timedOut: Bool
}

/// Runs `executable` (a path, or a name looked up on PATH) with a time limit. Output goes to
/// files, so a chatty child can never block on a full pipe; stdin is /dev/null.
public func runProcess(_ executable: String, _ arguments: [String], in folder: String? = nil,
                       environment: [String: String] = [:], timeout: TimeInterval = 120) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let stem = NSTemporaryDirectory() + "aeq-run-\(UUID().uuidString)"
    FileManager.default.createFile(atPath: stem + ".out", contents: nil)
    FileManager.default.createFile(atPath: stem + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: stem + ".out")
        try? FileManager.default.removeItem(atPath: stem + ".err")
    }
    process.standardOutput = FileHandle(forWritingAtPath: stem + ".out")
    process.standardError = FileHandle(forWritingAtPath: stem + ".err")
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(5_000) }
    let timedOut = process.isRunning
    if timedOut { process.terminate() }
    process.waitUntilExit()
    let out = FileManager.default.contents(atPath: stem + ".out") ?? Data()
    let err = FileManager.default.contents(atPath: stem + ".err") ?? Data()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                         stderr: String(decoding: err, as: UTF8.self), timedOut: timedOut)
}
