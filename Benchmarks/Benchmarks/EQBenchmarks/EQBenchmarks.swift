// EQ cascade cost per host block: stereo, 512 frames, 44.1 kHz.
//
// Each iteration copies a fresh 512-frame slice of a 10-s noise signal into the block
// buffers (outside the measured region) and times one `EQProcessor.process` call, so the
// percentiles are per-block figures. Allocations are counted inside the measured region
// only and must be 0.

import Benchmark
import BenchmarkSupport
import EQDSP

private let sampleRateHz: Float = 44_100
private let blockFrames = 512
private let channelCount = 2

/// Slightly low-passed noise at about −12 dBFS: a music-like level and tilt.
private func makeSignal(seconds: Int = 10) -> [[Float]] {
    var noise = Noise(state: 12345)
    let length = Int(sampleRateHz) * seconds
    return (0..<channelCount).map { _ in
        var y: Float = 0
        return (0..<length).map { _ in
            y = 0.7 * y + 0.3 * noise.next()
            return 0.6 * y
        }
    }
}

/// A realistic "warm" 5-band setting (SAFE-DB layout).
private let warm = EQSettings(values: [3, 180, -2, 400, 0.9, 1.5, 1200, 1.2, -3, 3500, 0.8, -4, 9000])!
private let bright = EQSettings(values: [-2, 120, -1, 300, 0.7, 1, 2000, 1, 3, 5000, 1.4, 5, 7000])!

/// The 10-stage chain of the adaptive engine: each target band followed by an inverse band.
private let adaptiveKinds: [FilterKind] = [.lowShelf, .lowShelf, .peaking, .peaking, .peaking, .peaking,
                                          .peaking, .peaking, .highShelf, .highShelf]

private func setTenStageTargets(_ eq: inout EQProcessor, wanted: EQSettings, current: EQSettings) {
    for band in 0..<EQSettings.bandCount {
        eq.setTarget(wanted.band(band), stage: 2 * band)
        eq.setTarget(current.band(band).inverted, stage: 2 * band + 1)
    }
}

private func perBlock() -> Benchmark.Configuration {
    .init(
    metrics: [.wallClock, .mallocCountTotal],
    timeUnits: .nanoseconds,
    warmupIterations: 200,
    maxDuration: .seconds(3),
    maxIterations: 20_000,
    // `swift package benchmark thresholds check` compares p90 with Thresholds/*.p90.json:
    // allocations must stay 0; time may exceed the recorded p90 by 25 %.
    thresholds: [
        .mallocCountTotal: BenchmarkThresholds(absolute: [.p90: 0]),
        .wallClock: BenchmarkThresholds(relative: [.p90: 25]),
    ]
    )
}

let benchmarks: @Sendable () -> Void = {
    // Steady 5-band EQ (manual / static mode): coefficients fixed, no glide.
    Benchmark("EQ_5band_stereo512_static", configuration: perBlock()) { (benchmark: Benchmark, box: Fixture) in
        box.timeNextBlock(benchmark)
    } setup: {
        Fixture(EQProcessor()) { $0.setTargets(warm) }
    }

    // The adaptive engine's 10-stage chain, parameters at rest.
    Benchmark("EQ_10stage_stereo512_static", configuration: perBlock()) { (benchmark: Benchmark, box: Fixture) in
        box.timeNextBlock(benchmark)
    } setup: {
        Fixture(EQProcessor(kinds: adaptiveKinds)) { setTenStageTargets(&$0, wanted: warm, current: bright) }
    }

    // The 10-stage chain while gliding: new targets every 4 blocks (the engine's analysis
    // rate), 100 ms smoothing (the engine's default) — every sub-block re-designs and every
    // sample interpolates coefficients. This is the engine's normal state on music.
    Benchmark("EQ_10stage_stereo512_gliding", configuration: perBlock()) { (benchmark: Benchmark, box: Fixture) in
        box.counter += 1
        if box.counter % 4 == 0 {
            let flip = (box.counter / 4) % 2 == 0
            setTenStageTargets(&box.eq, wanted: flip ? warm : bright, current: flip ? bright : warm)
        }
        box.timeNextBlock(benchmark)
    } setup: {
        Fixture(EQProcessor(kinds: adaptiveKinds), smoothingMilliseconds: 100) {
            setTenStageTargets(&$0, wanted: warm, current: bright)
        }
    }

    // 5-band glide (manual automation on the static EQ).
    Benchmark("EQ_5band_stereo512_gliding", configuration: perBlock()) { (benchmark: Benchmark, box: Fixture) in
        box.counter += 1
        if box.counter % 4 == 0 { box.eq.setTargets((box.counter / 4) % 2 == 0 ? warm : bright) }
        box.timeNextBlock(benchmark)
    } setup: {
        Fixture(EQProcessor(), smoothingMilliseconds: 100) { $0.setTargets(warm) }
    }
}

/// A processor (non-copyable, so held in a class) with its input feeder, prepared for
/// stereo at 44.1 kHz and snapped to the targets `initial` sets.
private final class Fixture {
    var eq: EQProcessor
    let feeder = BlockFeeder(source: makeSignal(), blockFrames: blockFrames)
    var counter = 0

    init(_ eq: consuming EQProcessor, smoothingMilliseconds: Float? = nil,
         initial: (inout EQProcessor) -> Void) {
        self.eq = eq
        if let smoothingMilliseconds { self.eq.smoothingTimeMilliseconds = smoothingMilliseconds }
        self.eq.prepare(sampleRateHz: sampleRateHz, channelCount: channelCount)
        initial(&self.eq)
        self.eq.snapToTargets()
    }

    /// Copies the next block in (not timed), then times one `process` call on it.
    func timeNextBlock(_ benchmark: Benchmark) {
        feeder.next()
        benchmark.startMeasurement()
        eq.process(feeder.channels, frameCount: blockFrames)
        benchmark.stopMeasurement()
        blackHole(feeder.channels[0][0])
    }
}
