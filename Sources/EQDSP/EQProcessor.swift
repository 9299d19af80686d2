import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cascade of peaking / shelving filters applied to 1…8 channels, each channel with its
/// own state, with click-free parameter changes.
///
/// Real-time contract: `prepare` allocates; `process`, `reset`, `setTarget` and
/// `snapToTargets` never allocate, lock or touch reference counts. Not thread-safe: call
/// everything from the thread that renders (hand parameters over with atomics upstream).
///
/// Smoothing: every `subBlockFrames` samples (a grid anchored to the stream, not to host
/// blocks) each band's parameters take one step of a one-pole glide towards their targets —
/// gain in dB, frequency and Q in log₂ — with time constant `smoothingTimeMilliseconds`.
/// Filter coefficients are designed at the grid points and interpolated linearly per sample
/// in between, so coefficients never step. Output is therefore identical whatever block
/// sizes the host uses. A band at 0 dB stays in the chain (its filter runs as identity), so
/// nothing ever switches in or out.
///
/// Speed: the chain runs as a wavefront (`runGroup`), so the stages of one sample do not wait
/// for each other, and the stages and channels share 8-lane SIMD vectors. The sample loop is
/// C (`aeq_eq_run`), built for baseline x86-64 and for AVX2 and chosen at start-up; both give
/// the same bits. The output is that of a plain stage-by-stage cascade, with no added latency.
public struct EQProcessor: ~Copyable {
    /// Parameters are re-designed every this many samples while they move (coefficients are
    /// interpolated per sample in between): few designs per block, and still click-free by
    /// the click tests (docs/PERFORMANCE.md has the measurements behind the choice).
    public static let subBlockFrames = 256
    /// Most channels a processor handles.
    public static let maximumChannelCount = ProcessSpec.maximumChannelCount
    /// Default smoothing time constant.
    public static let defaultSmoothingTimeMilliseconds: Float = 30

    /// Filters in the cascade (5 for the SAFE-DB layout; 10 for the engine's target/inverse pairs).
    public let stageCount: Int
    /// True when every odd stage is meant to undo the stage before it (the adaptive engine's
    /// target/inverse pairs). While a pair's two stages sit on exactly opposite settings the
    /// pair passes its input through untouched (its filters keep running, so nothing jumps
    /// when the settings part): the null at intensity 0 is then exact, not just within
    /// float rounding of ten cascaded filters.
    public let cancelsInversePairs: Bool
    /// The rate of the last `prepare`.
    public private(set) var sampleRateHz: Float = 44_100
    /// Channels of the last `prepare` (0 before it).
    public private(set) var channelCount = 0

    /// One-pole time constant of parameter glides, in milliseconds (0 = jump at the next
    /// sub-block boundary). Sample-rate independent.
    public var smoothingTimeMilliseconds: Float = EQProcessor.defaultSmoothingTimeMilliseconds {
        didSet { updateSmoothingCoefficient() }
    }

    private let kinds: UnsafeMutablePointer<FilterKind>
    // Per stage: (gain dB, log2 frequency, log2 Q, unused).
    private let current: UnsafeMutablePointer<SIMD4<Float>>
    private let target: UnsafeMutablePointer<SIMD4<Float>>
    // Per stage: coefficients at the start of the current sub-block and their per-sample step.
    private let start: UnsafeMutablePointer<SVFCoefficients>
    private let step: UnsafeMutablePointer<SVFCoefficients>
    // Per stage: the design the current ramp ends on (becomes `start` when it is reached).
    private let end: UnsafeMutablePointer<SVFCoefficients>
    // Per pair (with `cancelsInversePairs`): the pair is exactly an identity this sub-block.
    private let pairIsIdentity: UnsafeMutablePointer<Bool>

    // Lane layout of the sample loop. An 8-lane vector holds 8 / `lanesPerStage` consecutive
    // stages of one channel group (mono: 8 stages; stereo: 4 stages × 2 channels; 3–8
    // channels: 2 stages × 4 channels per group). Stages past the end are identities.
    private var lanesPerStage = 4
    private var vectorCount = 1
    // Per vector: the coefficients at the start of the sub-block and their per-sample step,
    // lane by lane (6 vectors each: a1, a2, a3, m0, m1, m2).
    private let startLanes: UnsafeMutablePointer<SIMD8<Float>>
    private let stepLanes: UnsafeMutablePointer<SIMD8<Float>>
    // Per vector: each lane's stage index, and the lanes whose pair is an identity now.
    private let laneStage: UnsafeMutablePointer<SIMD8<Float>>
    private let identityLanes: UnsafeMutablePointer<SIMDMask<SIMD8<Int32>>>
    // Per vector: the output mix its stages need: 0 `x + m1·v1` (peaking filters, m0 = 1 and
    // m2 = 0), 1 `x + m1·v1 + m2·v2` (also low shelves, m0 = 1), 2 `m0·x + m1·v1 + m2·v2`.
    private let mixes: UnsafeMutablePointer<Int32>
    // Per channel group and vector: integrator states (ic1, ic2).
    private var state: UnsafeMutablePointer<SIMD8<Float>>
    private var stateCount = 0
    // Per vector: its output and its input in the previous wavefront iteration.
    private let pipe: UnsafeMutablePointer<SIMD8<Float>>
    // The channels of the group `runGroup` is on, at the run's first frame.
    private let groupChannels: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    // Some pair is an identity this sub-block. Only then does the sample loop carry each
    // stage's input along to pass it through: with no identity pair that work changes
    // nothing, and it is about 7 % of an adaptive block (`adaptive-eq bench`).
    private var anyPairIsIdentity = false
    private var phase = 0  // position inside the sub-block grid
    private var ramping = false
    private var smoothingCoefficient: Float = 1

    /// A chain of stages of the given shapes, all flat until targets are set.
    public init(kinds stageKinds: [FilterKind], cancelsInversePairs: Bool = false) {
        precondition(!cancelsInversePairs || stageKinds.count % 2 == 0, "inverse pairs need an even stage count")
        stageCount = stageKinds.count
        self.cancelsInversePairs = cancelsInversePairs
        kinds = .allocate(capacity: max(stageCount, 1))
        current = .allocate(capacity: max(stageCount, 1))
        target = .allocate(capacity: max(stageCount, 1))
        start = .allocate(capacity: max(stageCount, 1))
        step = .allocate(capacity: max(stageCount, 1))
        end = .allocate(capacity: max(stageCount, 1))
        // At most one vector per stage.
        startLanes = .allocate(capacity: 6 * max(stageCount, 1))
        stepLanes = .allocate(capacity: 6 * max(stageCount, 1))
        laneStage = .allocate(capacity: max(stageCount, 1))
        identityLanes = .allocate(capacity: max(stageCount, 1))
        mixes = .allocate(capacity: max(stageCount, 1))
        pipe = .allocate(capacity: 2 * max(stageCount, 1))
        groupChannels = .allocate(capacity: 4)
        groupChannels.initialize(repeating: nil, count: 4)
        pairIsIdentity = .allocate(capacity: max(stageCount / 2, 1))
        pairIsIdentity.initialize(repeating: false, count: max(stageCount / 2, 1))
        state = .allocate(capacity: 1)
        state.initialize(to: .zero)
        stateCount = 1
        for (i, kind) in stageKinds.enumerated() {
            kinds[i] = kind
            let flat = SIMD4<Float>(0, log2f(1000), log2f(BandParameters.shelfQ), 0)
            current[i] = flat
            target[i] = flat
            start[i] = .identity
            step[i] = .zero
        }
        layOutLanes()
    }

    /// The 5-band SAFE-DB layout: low shelf, three peaks, high shelf.
    public init() {
        self.init(kinds: [.lowShelf, .peaking, .peaking, .peaking, .highShelf])
    }

    deinit {
        kinds.deallocate(); current.deallocate(); target.deallocate()
        start.deallocate(); step.deallocate(); end.deallocate(); state.deallocate()
        startLanes.deallocate(); stepLanes.deallocate(); pairIsIdentity.deallocate()
        laneStage.deallocate(); identityLanes.deallocate(); pipe.deallocate(); mixes.deallocate()
        groupChannels.deallocate()
    }

    /// Sets sample rate and channel count and clears the state. Allocates; call it off the
    /// audio thread (or in the host's activate/instantiate).
    public mutating func prepare(sampleRateHz: Float, channelCount: Int) {
        precondition(channelCount >= 1 && channelCount <= Self.maximumChannelCount, "1…8 channels")
        precondition(sampleRateHz.isFinite && sampleRateHz > 0, "sample rate must be positive")
        self.sampleRateHz = sampleRateHz
        self.channelCount = channelCount
        for i in 0..<stageCount { start[i] = design(current[i], kinds[i]) }
        layOutLanes()
        let groups = (channelCount + 3) / 4
        state.deallocate()
        stateCount = groups * vectorCount * 2
        state = .allocate(capacity: stateCount)
        updateSmoothingCoefficient()
        reset()
    }

    /// Chooses the lane layout for the channel count and fills the lane tables.
    private mutating func layOutLanes() {
        lanesPerStage = channelCount == 1 ? 1 : channelCount == 2 ? 2 : 4
        let stagesPerVector = 8 / lanesPerStage
        vectorCount = max(1, (stageCount + stagesPerVector - 1) / stagesPerVector)
        let identity = SVFCoefficients.identity
        for v in 0..<vectorCount {
            let o = 6 * v
            startLanes[o] = SIMD8(repeating: identity.a1); startLanes[o + 1] = SIMD8(repeating: identity.a2)
            startLanes[o + 2] = SIMD8(repeating: identity.a3); startLanes[o + 3] = SIMD8(repeating: identity.m0)
            startLanes[o + 4] = SIMD8(repeating: identity.m1); startLanes[o + 5] = SIMD8(repeating: identity.m2)
            for c in 0..<6 { stepLanes[o + c] = .zero }
            var stages = SIMD8<Float>.zero
            for lane in 0..<8 { stages[lane] = Float(v * stagesPerVector + lane / lanesPerStage) }
            laneStage[v] = stages
            let first = v * stagesPerVector, kindsHere = (first..<min(first + stagesPerVector, stageCount)).map { kinds[$0] }
            mixes[v] = kindsHere.allSatisfy { $0 == .peaking } ? 0 : kindsHere.contains(.highShelf) ? 2 : 1
        }
        for i in 0..<stageCount { broadcast(i) }
        updateIdentityLanes()
    }

    /// Marks the lanes of every pair's second stage while the pair is an identity.
    private mutating func updateIdentityLanes() {
        let stagesPerVector = 8 / lanesPerStage
        anyPairIsIdentity = false
        for v in 0..<vectorCount {
            var mask = SIMDMask<SIMD8<Int32>>()
            if cancelsInversePairs {
                for lane in 0..<8 {
                    let s = v * stagesPerVector + lane / lanesPerStage
                    mask[lane] = s < stageCount && s & 1 == 1 && pairIsIdentity[s >> 1]
                }
            }
            identityLanes[v] = mask
            if any(mask) { anyPairIsIdentity = true }
        }
    }

    /// Clears the filter state and restarts the smoothing grid; parameters are kept.
    public mutating func reset() {
        state.update(repeating: .zero, count: stateCount)
        phase = 0
        ramping = false
    }

    /// Sets where stage `index` glides to. Only the band's frequency, gain and Q are used;
    /// its shape is the stage's own. Non-finite values are ignored.
    public mutating func setTarget(_ band: BandParameters, stage index: Int) {
        guard band.frequencyHz.isFinite, band.gainDecibels.isFinite, band.q.isFinite,
              band.frequencyHz > 0, band.q > 0 else { return }
        target[index] = SIMD4(band.gainDecibels, log2f(band.frequencyHz), log2f(band.q), 0)
    }

    /// Targets for a 5-stage chain in the SAFE-DB layout.
    public mutating func setTargets(_ settings: EQSettings) {
        for i in 0..<min(stageCount, EQSettings.bandCount) { setTarget(settings.band(i), stage: i) }
    }

    /// Jumps every stage to its target now (for a fresh stream, before audio flows).
    public mutating func snapToTargets() {
        for i in 0..<stageCount {
            current[i] = target[i]
            start[i] = design(current[i], kinds[i])
            step[i] = .zero
            broadcast(i)
        }
        ramping = false
    }

    /// The parameters stage `index` currently has (mid-glide values while smoothing).
    public func currentBand(stage index: Int) -> BandParameters {
        let c = current[index]
        return BandParameters(kind: kinds[index], frequencyHz: exp2f(c[1]), gainDecibels: c[0], q: exp2f(c[2]))
    }

    /// True when every stage sits on its target and no coefficient ramp is under way: the
    /// chain then stays as it is until a target moves (stages at 0 dB pass their input exactly).
    public var isSettled: Bool {
        if ramping && phase != 0 { return false }
        for i in 0..<stageCount where current[i] != target[i] { return false }
        return true
    }

    /// Filters `frameCount` samples of each of `channelCount` channels in place.
    /// Real-time safe. Non-finite input samples are treated as silence and samples beyond
    /// ±10 000 are clamped, so the output is always finite.
    public mutating func process(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, frameCount: Int) {
        var done = 0
        while done < frameCount {
            if phase == 0 { beginSubBlock() }
            let n = min(Self.subBlockFrames - phase, frameCount - done)
            var group = 0
            while group * 4 < channelCount {
                runGroup(group, channels: channels, offset: done, frames: n)
                group += 1
            }
            phase += n
            if phase == Self.subBlockFrames {
                phase = 0
                if ramping { finishSubBlock() }
            }
            done += n
        }
        sanitizeState()
    }

    // MARK: - internals

    private mutating func updateSmoothingCoefficient() {
        let tauSamples = smoothingTimeMilliseconds * 0.001 * sampleRateHz
        smoothingCoefficient = tauSamples > 0
            ? 1 - expf(-Float(Self.subBlockFrames) / tauSamples) : 1
    }

    @inline(__always)
    private func design(_ p: SIMD4<Float>, _ kind: FilterKind) -> SVFCoefficients {
        SVFCoefficients(BandParameters(kind: kind, frequencyHz: exp2f(p[1]), gainDecibels: p[0], q: exp2f(p[2])),
                        sampleRateHz: sampleRateHz)
    }

    /// Takes one glide step for every stage that is not at its target and sets up the
    /// per-sample coefficient ramp towards the new design.
    private mutating func beginSubBlock() {
        ramping = false
        for i in 0..<stageCount {
            let diff = target[i] - current[i]
            if diff == .zero {
                if step[i] != .zero { step[i] = .zero; broadcast(i) }
                continue
            }
            var next = current[i] + smoothingCoefficient * diff
            // Land exactly once the rest is inaudible (1e-4 dB, 1e-5 octave).
            let rest = target[i] - next, tolerance = SIMD4<Float>(1e-4, 1e-5, 1e-5, 1)
            let close = (rest .< tolerance) .& (rest .> -tolerance)
            if all(close) { next = target[i] }
            current[i] = next
            let end = design(next, kinds[i])
            self.end[i] = end
            let s = start[i], inv = 1 / Float(Self.subBlockFrames)
            step[i] = SVFCoefficients(a1: (end.a1 - s.a1) * inv, a2: (end.a2 - s.a2) * inv,
                                      a3: (end.a3 - s.a3) * inv, m0: (end.m0 - s.m0) * inv,
                                      m1: (end.m1 - s.m1) * inv, m2: (end.m2 - s.m2) * inv)
            broadcast(i)
            ramping = true
        }
        if cancelsInversePairs {
            // Opposite gains glide symmetrically (negation is exact in floating point), so a
            // pair that starts and ends a sub-block mirrored is an identity throughout it.
            for p in 0..<(stageCount / 2) {
                pairIsIdentity[p] = Self.mirrored(current[2 * p], current[2 * p + 1])
                    && Self.mirrored(target[2 * p], target[2 * p + 1])
            }
            updateIdentityLanes()
        }
    }

    @inline(__always)
    private static func mirrored(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> Bool {
        a[0] == -b[0] && a[1] == b[1] && a[2] == b[2]
    }

    /// Copies stage `i`'s coefficients and ramp step into its lanes of the lane tables.
    private func broadcast(_ i: Int) {
        let k = start[i], d = step[i]
        let stagesPerVector = 8 / lanesPerStage
        let o = 6 * (i / stagesPerVector), firstLane = (i % stagesPerVector) * lanesPerStage
        // Plain float stores (element-wise SIMD8 writes went through whole vectors).
        (startLanes + o).withMemoryRebound(to: Float.self, capacity: 48) { starts in
            (stepLanes + o).withMemoryRebound(to: Float.self, capacity: 48) { steps in
                for lane in firstLane..<(firstLane + lanesPerStage) {
                    starts[lane] = k.a1; starts[8 + lane] = k.a2; starts[16 + lane] = k.a3
                    starts[24 + lane] = k.m0; starts[32 + lane] = k.m1; starts[40 + lane] = k.m2
                    steps[lane] = d.a1; steps[8 + lane] = d.a2; steps[16 + lane] = d.a3
                    steps[24 + lane] = d.m0; steps[32 + lane] = d.m1; steps[40 + lane] = d.m2
                }
            }
        }
    }

    /// Ends a ramping sub-block exactly on the designed coefficients (no drift from steps).
    /// The lane tables are written by the next `beginSubBlock`, which runs before any sample
    /// and broadcasts every stage whose step was not zero.
    private mutating func finishSubBlock() {
        for i in 0..<stageCount where step[i] != .zero {
            start[i] = end[i]
        }
    }

    /// Runs `frames` samples of one channel group (up to four channels) through the chain as
    /// a wavefront: in iteration `i`, stage `s` filters sample `i − s`. The stages of one
    /// iteration are then independent of each other (each takes what the stage before it
    /// produced one iteration earlier), so the processor works on all of them at once instead
    /// of waiting for each filter's result before starting the next, and several stages share
    /// one SIMD vector. The first and last iterations of a run fill and drain the wavefront
    /// with the idle stages' states held; every sample still leaves within the call, so no
    /// latency is added, and each stage sees exactly the samples and coefficients it would in
    /// a plain stage-by-stage loop.
    @inline(__always)
    private func runGroup(_ group: Int, channels: UnsafePointer<UnsafeMutablePointer<Float>>,
                          offset: Int, frames: Int) {
        let first = group &* 4
        let lanes = min(4, channelCount &- first)
        let vectors = vectorCount
        var wave = aeq_wavefront(
            start: UnsafeRawPointer(startLanes).assumingMemoryBound(to: Float.self),
            step: UnsafeRawPointer(stepLanes).assumingMemoryBound(to: Float.self),
            state: UnsafeMutableRawPointer(state + group &* vectors &* 2).assumingMemoryBound(to: Float.self),
            outputs: UnsafeMutableRawPointer(pipe).assumingMemoryBound(to: Float.self),
            inputs: UnsafeMutableRawPointer(pipe + vectors).assumingMemoryBound(to: Float.self),
            laneStage: UnsafeRawPointer(laneStage).assumingMemoryBound(to: Float.self),
            identity: UnsafeRawPointer(identityLanes).assumingMemoryBound(to: Int32.self),
            mixes: UnsafePointer(mixes), vectors: Int32(vectors), lanesPerStage: Int32(lanesPerStage),
            ramping: ramping ? 1 : 0, pairs: anyPairIsIdentity ? 1 : 0, frames: Int32(frames),
            startPhase: Float(phase))
        for k in 0..<4 { groupChannels[k] = k < lanes ? channels[first &+ k] + offset : nil }
        aeq_eq_run(&wave, groupChannels, Int32(lanes))
    }

    /// Flushes tiny states to zero (no denormal slow-down on decaying tails) and recovers
    /// from any non-finite state by clearing it.
    private mutating func sanitizeState() {
        let tiny = SIMD8<Float>(repeating: 1e-20)
        for i in 0..<stateCount {
            var v = state[i]
            v.replace(with: 0, where: (v .< tiny) .& (v .> -tiny))
            if any((v - v) .!= .zero) { v = .zero }
            state[i] = v
        }
    }
}
