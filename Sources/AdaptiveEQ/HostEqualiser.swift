import CKernels
import EQDSP
import EQInference

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The equaliser as every front end runs it (`adaptive-eq process`, the LV2 plugin, the
/// live JACK client): control values in, separate or shared input/output buffers, blocks of
/// any length, a click-free bypass crossfade, smoothed output gain, and a read-out of the EQ
/// being applied. Words come from a `Vocabulary`, controls from `HostControls`.
///
/// Blocks are cut into chunks of at most `spec.maximumBlockFrames` here and nowhere else;
/// the EQ cascade and the adaptive engine are prepared with that spec.
///
/// Real-time contract: `init` and `prepare` allocate; `process`, `reset` and
/// `applied` never allocate or lock, and accept any `frameCount` (0, 1, or longer
/// than a chunk). Not thread-safe: one thread renders.
///
/// Static and manual modes run a 5-band cascade set to the word's (or the manual) EQ;
/// adaptive mode with a model runs `StreamingAdaptiveEQ`. Switching between them crossfades
/// over 10 ms; while only the engine is heard, the cascade sits out (it restarts from rest
/// when a crossfade needs it). Entering adaptive mode restarts the engine, which primes its
/// analysis after 8 frames and glides in from flat, so the switch is click-free.
public struct HostEqualiser: ~Copyable {
    /// Length of the bypass and mode crossfades.
    public static let bypassFadeMilliseconds: Float = 10
    /// Length of an output-gain ramp.
    public static let gainRampMilliseconds: Float = 20

    /// Number of words in the vocabulary (valid term indices are 0..<vocabularyCount).
    public let vocabularyCount: Int
    /// What the cascade and the engine are prepared with: the chunk length is
    /// `spec.maximumBlockFrames`.
    public private(set) var spec = ProcessSpec(sampleRateHz: 44_100, maximumBlockFrames: ProcessSpec.hostChunkFrames,
                                               channelCount: 1)
    /// Channels of the last `prepare` (1 before it).
    public var channelCount: Int { spec.channelCount }
    /// The rate of the last `prepare` (44.1 kHz before it).
    public var sampleRateHz: Double { spec.sampleRateHz }

    private let vocabulary: UnsafeMutablePointer<EQSettings>
    private var eq = EQProcessor()
    /// Loudness matching of the static cascade (the engine matches its own).
    private var staticLoudness = LoudnessFollower()
    /// The adaptive engine, when there is a model (behind a pointer: it is ~Copyable).
    private let engine: UnsafeMutablePointer<StreamingAdaptiveEQ>?
    /// Per channel, one chunk of the input (for crossfades).
    private var dry: UnsafeMutablePointer<Float>
    private var work: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private var adaptiveBuffer: UnsafeMutablePointer<Float>
    private var adaptiveWork: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    /// 1 = the adaptive engine is heard, 0 = the static/manual cascade.
    private var engineMix: Float = 0, engineMixStep: Float = 0
    /// False while the cascade sits out (only the engine is heard).
    private var cascadeRunning = true
    /// The reference-matching detail stage (`HostControls.matchingDetail`, manual mode), after
    /// the cascade. It runs only while it is not flat or still gliding back to flat, so a
    /// render without it costs one check and is bit for bit what it was.
    private var detail = EQProcessor(kinds: [FilterKind](repeating: .peaking, count: MatchingDetail.bandCount))
    private var detailRunning = false
    private var detailTargetIsFlat = true
    /// Detail filters below 0.45 × the rate (the others stay flat).
    private var detailAvailableCount = 0
    private var output = OutputStage()
    private var controls = HostControls()
    private var fresh = true
    /// A word's meaning changed (`replaceWord`): the next block sets the targets again.
    private var wordsChanged = false

    /// A host equaliser over a vocabulary (its model drives adaptive mode, when present).
    public init(vocabulary: Vocabulary) {
        self.init(vocabulary: vocabulary.settings, model: vocabulary.model)
    }

    /// A host equaliser over `vocabulary` (the EQ of each word, in term-index order; an empty
    /// vocabulary acts as one flat word). With a `model` (whose term table must list the same
    /// words in the same order), adaptive mode runs `StreamingAdaptiveEQ`.
    public init(vocabulary words: [EQSettings], model: AdaptiveEQModel? = nil) {
        vocabularyCount = max(words.count, 1)
        vocabulary = .allocate(capacity: vocabularyCount)
        if words.isEmpty {
            vocabulary.initialize(to: .flat)
        } else {
            vocabulary.initialize(from: words, count: words.count)
        }
        dry = .allocate(capacity: 1)
        work = .allocate(capacity: 1)
        adaptiveBuffer = .allocate(capacity: 1)
        adaptiveWork = .allocate(capacity: 1)
        if let model {
            let e = UnsafeMutablePointer<StreamingAdaptiveEQ>.allocate(capacity: 1)
            e.initialize(to: StreamingAdaptiveEQ(model: model, target: AdaptiveTarget(term: 0, intensity: 0)))
            engine = e
        } else {
            engine = nil
        }
    }

    deinit {
        vocabulary.deallocate(); dry.deallocate(); work.deallocate()
        adaptiveBuffer.deallocate(); adaptiveWork.deallocate()
        if let engine { engine.deinitialize(count: 1); engine.deallocate() }
    }

    /// Whether adaptive mode runs the adaptive engine (a model was given).
    public var hasAdaptiveEngine: Bool { engine != nil }

    /// Prepares for the host's rate and channels (1…8) and clears all state. The host may
    /// pass blocks of any length; they are rendered in chunks of at most
    /// `min(host.maximumBlockFrames, ProcessSpec.hostChunkFrames)` frames. Allocates.
    /// `primingEngine: false` skips running the engine over silence first (what a real-time
    /// host needs so nothing initialises on the audio thread); offline renders need not pay it.
    public mutating func prepare(_ host: ProcessSpec, primingEngine: Bool = true) {
        let chunk = min(host.maximumBlockFrames, ProcessSpec.hostChunkFrames)
        spec = ProcessSpec(sampleRateHz: host.sampleRateHz, maximumBlockFrames: chunk, channelCount: host.channelCount)
        let channels = spec.channelCount
        dry.deallocate(); work.deallocate(); adaptiveBuffer.deallocate(); adaptiveWork.deallocate()
        dry = .allocate(capacity: channels * chunk)
        dry.initialize(repeating: 0, count: channels * chunk)
        work = .allocate(capacity: channels)
        let adaptiveCount = engine == nil ? 1 : channels * chunk
        adaptiveBuffer = .allocate(capacity: adaptiveCount)
        adaptiveBuffer.initialize(repeating: 0, count: adaptiveCount)
        adaptiveWork = .allocate(capacity: channels)
        for c in 0..<channels { adaptiveWork[c] = adaptiveBuffer + (engine == nil ? 0 : c * chunk) }
        eq.prepare(spec)
        detail.prepare(spec)
        detailAvailableCount = (0..<MatchingDetail.bandCount).filter {
            MatchingDetail.isAvailable($0, sampleRateHz: spec.sampleRateHz)
        }.count
        for i in 0..<MatchingDetail.bandCount { detail.setTarget(MatchingDetail.flat.band(i), stage: i) }
        detail.snapToTargets()
        staticLoudness.prepare(sampleRateHz: spec.sampleRateHz, channelCount: channels,
                               smoothingMilliseconds: controls.smoothingTimeMilliseconds,
                               updateMilliseconds: ControlParameter.analysisInterval.defaultValue)
        if let engine {
            engine.pointee.prepare(spec)
        }
        if let engine, primingEngine {
            // Run every engine path once here (priming, analysis, decoding, a glide), so
            // one-time initialisations happen now and never on the audio thread: silence
            // until two analyses have run (0.19 s at 44.1 kHz; at most one second), which
            // `reset` then forgets. Less silence keeps set-up cheap for many short files.
            var remaining = Int(spec.sampleRateHz)
            while remaining > 0 && engine.pointee.analysisCount < 2 {
                let n = min(remaining, chunk)
                for c in 0..<channels { adaptiveWork[c].update(repeating: 0, count: n) }
                engine.pointee.process(adaptiveWork, frameCount: n)
                remaining -= n
            }
        }
        reset()
    }

    /// Prepares for `sampleRateHz` and `channelCount`, rendering in `ProcessSpec.hostChunkFrames` chunks.
    public mutating func prepare(sampleRateHz: Double, channelCount: Int) {
        prepare(ProcessSpec(sampleRateHz: sampleRateHz, maximumBlockFrames: ProcessSpec.hostChunkFrames,
                            channelCount: channelCount))
    }

    /// Replaces the word at `index` (< `vocabularyCount`): its static EQ and, with a model,
    /// its latent (`model.latentCount` values, written into the model's term table, which
    /// this equaliser must own: build it on a model of its own, e.g. from
    /// `AdaptiveEQModel.appendingTerm`). A word in use glides to its new meaning from the
    /// next block. This is how a plugin offers a typed word or phrase in a fixed slot of its
    /// word list without rebuilding anything. Real-time safe: no allocation, no lock.
    public mutating func replaceWord(at index: Int, latent: UnsafePointer<Float>?, settings: EQSettings) {
        guard index >= 0 && index < vocabularyCount else { return }
        vocabulary[index] = settings
        if let engine, let latent { engine.pointee.replaceTermLatent(at: index, with: latent) }
        wordsChanged = true
    }

    /// Clears filter state; the next `process` starts on its controls without a glide.
    public mutating func reset() {
        eq.reset()
        detail.reset()
        detailRunning = false
        staticLoudness.reset()
        cascadeRunning = true
        if let engine { engine.pointee.reset() }
        fresh = true
    }

    /// The EQ the given controls ask for from the cascade (before smoothing).
    public func targetSettings(_ c: HostControls) -> EQSettings {
        switch c.mode {
        case .manual:
            return c.manual
        case .static, .adaptive:
            // In adaptive mode with an engine the cascade is what a crossfade fades to/from.
            let a = vocabulary[min(max(c.term, 0), vocabularyCount - 1)]
            guard c.blend > 0 else { return a.scaled(by: c.intensity) }
            let b = vocabulary[min(max(c.secondTerm, 0), vocabularyCount - 1)]
            return Self.blend(a, b, c.blend).scaled(by: c.intensity)
        }
    }

    /// Mixes two settings: gains linearly, frequencies and Qs geometrically.
    public static func blend(_ a: EQSettings, _ b: EQSettings, _ amount: Float) -> EQSettings {
        let t = min(max(amount, 0), 1)
        return EQSettings { p in
            switch p.smoothing {
            case .linear: a[p] + t * (b[p] - a[p])
            case .logarithmic: exp2f(log2f(a[p]) + t * (log2f(b[p]) - log2f(a[p])))
            }
        }
    }

    /// What the audio goes through now (see `AppliedEQ`): the target EQ, the inverse of the
    /// correction, the reference detail and the loudness-matching gain, as the running filters
    /// hold them at the end of the last `process` call. The one read-out for every front end
    /// (the studio's plot, the LV2 and VST3 read-outs, `adaptive-eq analyze`).
    ///
    /// Adaptive mode with an engine: the engine's target and correction pairs and its gain.
    /// Static and manual modes: the cascade as the target, a flat correction, the detail stage
    /// (manual mode) and the static loudness gain. During a mode crossfade, the side mostly
    /// heard. The bypass crossfade and the output-gain control come after and are not included.
    ///
    /// Real-time safe: no allocation, no lock; about 50 parameter reads.
    public var applied: AppliedEQ {
        if let engine, engineMix >= 0.5 { return engine.pointee.applied }
        var detailGains = SIMD32<Float>.zero
        if detailRunning {
            for i in 0..<MatchingDetail.bandCount { detailGains[i] = detail.currentBand(stage: i).gainDecibels }
        }
        return AppliedEQ(target: EQSettings(currentBandsOf: eq, first: 0, stride: 1, inverted: false),
                         detail: MatchingDetail(gainsDecibels: detailGains),
                         loudnessGainDecibels: staticLoudness.gainDecibels)
    }

    /// The whole colouration the adaptive engine hears in the audio (`decoder(z_audio)`), or
    /// nil outside adaptive mode or without a model. Only a share of it is undone
    /// (`applied.correction`); for displays of where the audio stands. Decoded on each read
    /// (about 4 µs): read it on the thread that calls `process`, between blocks.
    public var colourationSettings: EQSettings? {
        guard controls.mode == .adaptive, let engine else { return nil }
        return engine.pointee.audioSettings
    }

    /// Copies the adaptive engine's latent of the audio (`model.latentCount` values) into
    /// `z`; false (nothing copied) without a model. For displays, not for rendering.
    public func copyAudioLatent(into z: UnsafeMutablePointer<Float>) -> Bool {
        guard let engine else { return false }
        engine.pointee.copyAudioLatent(into: z)
        return true
    }

    /// Renders `frameCount` frames of `channelCount` channels from `inputs` into `outputs`
    /// (an output may be the same buffer as its input). Real-time safe; any frame count.
    public mutating func process(inputs: UnsafePointer<UnsafePointer<Float>>,
                                 outputs: UnsafePointer<UnsafeMutablePointer<Float>>,
                                 frameCount: Int, controls new: HostControls) {
        // Subnormal input (a tail fading out upstream) would cost 10-20x per sample; read as
        // zero instead, for this call only (the host's thread keeps its own setting).
        let floatState = aeq_denormals_off()
        defer { aeq_denormals_restore(floatState) }
        apply(new)
        var done = 0
        while done < frameCount {
            let n = min(spec.maximumBlockFrames, frameCount - done)
            render(inputs: inputs, outputs: outputs, offset: done, frames: n)
            done += n
        }
    }

    /// Renders in place (`adaptive-eq process` reads into and writes from one buffer).
    public mutating func process(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, frameCount: Int,
                                 controls new: HostControls) {
        process(inputs: UnsafeRawPointer(channels).assumingMemoryBound(to: UnsafePointer<Float>.self),
                outputs: channels, frameCount: frameCount, controls: new)
    }

    // MARK: - internals

    /// One chunk (`n` ≤ `spec.maximumBlockFrames`).
    private mutating func render(inputs: UnsafePointer<UnsafePointer<Float>>,
                                 outputs: UnsafePointer<UnsafeMutablePointer<Float>>, offset: Int, frames n: Int) {
        let chunk = spec.maximumBlockFrames
        let keepDry = output.needsDry
        if let engine, engineMix >= 1 && engineMixStep == 0 {
            // Only the engine is heard: it filters the output buffer directly.
            for c in 0..<channelCount {
                let input = inputs[c] + offset, out = outputs[c] + offset
                if keepDry { (dry + c * chunk).update(from: input, count: n) }
                if UnsafePointer(out) != input { out.update(from: input, count: n) }
                work[c] = out
            }
            engine.pointee.process(work, frameCount: n)
            cascadeRunning = false
            detailRunning = false
        } else {
            if !cascadeRunning {
                // Back from sitting out: start from rest on the current targets.
                eq.reset()
                eq.snapToTargets()
                detail.reset()
                detail.snapToTargets()
                detailRunning = !detailTargetIsFlat
                staticLoudness.reset()
                cascadeRunning = true
            }
            for c in 0..<channelCount {
                let d = dry + c * chunk
                d.update(from: inputs[c] + offset, count: n)
                let out = outputs[c] + offset
                out.update(from: d, count: n)
                work[c] = out
            }
            eq.process(work, frameCount: n)
            if detailRunning {
                detail.process(work, frameCount: n)
                if detailTargetIsFlat && detail.isSettled { detailRunning = false }
            }
            staticLoudness.process(input: dry, inputStride: chunk, output: work, frameCount: n)
            if let engine, engineMix > 0 || engineMixStep > 0 {
                for c in 0..<channelCount { adaptiveWork[c].update(from: dry + c * chunk, count: n) }
                engine.pointee.process(adaptiveWork, frameCount: n)
                mixEngine(frames: n)
            }
        }
        output.apply(work, dry: dry, dryStride: chunk, channelCount: channelCount, frames: n)
    }

    private mutating func apply(_ new: HostControls) {
        let fadeFrames = Self.bypassFadeMilliseconds * 0.001 * Float(spec.sampleRateHz)
        if fresh || new.smoothingTimeMilliseconds != controls.smoothingTimeMilliseconds {
            eq.smoothingTimeMilliseconds = max(new.smoothingTimeMilliseconds, 0)
            detail.smoothingTimeMilliseconds = max(new.smoothingTimeMilliseconds, 0)
            staticLoudness.setSmoothing(milliseconds: max(new.smoothingTimeMilliseconds, 0))
        }
        if fresh || wordsChanged || new != controls {
            wordsChanged = false
            let settings = targetSettings(new)
            eq.setTargets(settings)
            staticLoudness.settings = settings
            setDetailTargets(new)
            // Word modes only; a manual EQ stays as given.
            staticLoudness.isEnabled = new.matchesLoudness && new.mode != .manual && new.intensity > 0
        }
        let useEngine: Float = new.mode == .adaptive ? 1 : 0
        if let engine {
            let target = AdaptiveTarget(term: new.term, secondTerm: new.secondTerm, blend: new.blend,
                                        intensity: new.intensity)
            if fresh || engine.pointee.target != target { engine.pointee.target = target }
            if fresh || new.smoothingTimeMilliseconds != controls.smoothingTimeMilliseconds {
                engine.pointee.smoothingTimeMilliseconds = max(new.smoothingTimeMilliseconds, 0)
            }
            if fresh || new.analysisIntervalMilliseconds != controls.analysisIntervalMilliseconds {
                engine.pointee.analysisIntervalMilliseconds = new.analysisIntervalMilliseconds
            }
            engine.pointee.correctionLimitDecibels = new.correctionLimitDecibels
            engine.pointee.matchesLoudness = new.matchesLoudness
            // A fresh stream starts its analysis grid with the interval in force.
            if fresh { engine.pointee.reset() }
        }
        if fresh {
            engineMix = useEngine
            engineMixStep = 0
        } else if new.mode != controls.mode && (new.mode == .adaptive || controls.mode == .adaptive) {
            // Entering adaptive mode from silence of the engine: start it afresh.
            if useEngine > 0 && engineMix <= 0, let engine { engine.pointee.reset() }
            engineMixStep = (useEngine > 0 ? 1 : -1) / max(fadeFrames, 1)
        }
        if fresh {
            eq.snapToTargets()
            detail.snapToTargets()
            detailRunning = !detailTargetIsFlat
            output.settle(enabled: new.enabled, gainDecibels: new.outputGainDecibels)
            fresh = false
        } else {
            if new.enabled != controls.enabled { output.fade(toEnabled: new.enabled, fadeFrames: fadeFrames) }
            output.ramp(toGainDecibels: new.outputGainDecibels,
                        rampFrames: Self.gainRampMilliseconds * 0.001 * Float(spec.sampleRateHz))
        }
        controls = new
    }

    /// Points the detail stage at `c`'s detail (manual mode; flat otherwise), each gain
    /// within ±`MatchingDetail.maximumGainDecibels`. A stage that starts mid-stream starts
    /// from rest (it stopped flat) on a smoothing grid anchored here, so where it starts
    /// does not depend on the host's block sizes.
    private mutating func setDetailTargets(_ c: HostControls) {
        let limit = MatchingDetail.maximumGainDecibels
        var flat = true
        for i in 0..<MatchingDetail.bandCount {
            var band = c.matchingDetail.band(i)
            let g = c.mode == .manual && i < detailAvailableCount && band.gainDecibels.isFinite ? band.gainDecibels : 0
            band.gainDecibels = min(max(g, -limit), limit)
            flat = flat && band.gainDecibels == 0
            detail.setTarget(band, stage: i)
        }
        detailTargetIsFlat = flat
        if !flat && !detailRunning && !fresh {
            detail.reset()
            detailRunning = true
        }
    }

    /// Puts the engine's output (in `adaptiveWork`) into `work`, crossfading while the mode
    /// changes between adaptive and static/manual.
    private mutating func mixEngine(frames n: Int) {
        if engineMixStep != 0 {
            var m = engineMix
            for c in 0..<channelCount {
                m = engineMix
                let a = adaptiveWork[c], w = work[c]
                for i in 0..<n {
                    m = min(max(m + engineMixStep, 0), 1)
                    w[i] += crossfadeWeight(m) * (a[i] - w[i])
                }
            }
            engineMix = m
            if engineMix <= 0 || engineMix >= 1 { engineMixStep = 0 }
        } else if engineMix >= 1 {
            for c in 0..<channelCount { work[c].update(from: adaptiveWork[c], count: n) }
        }
    }
}
