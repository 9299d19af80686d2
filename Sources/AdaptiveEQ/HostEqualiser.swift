import EQDSP
import EQInference

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a host's equaliser takes its five bands from.
///
/// The first cases follow `ControlParameter.mode`'s options in order; hosts add `manual`,
/// which applies the 13 EQ parameters given directly (as `adaptive-eq process --eq` does).
public enum EqualiserMode: Int, CaseIterable, Sendable {
    /// Listens to the audio and moves it from its own colouration towards the word
    /// (`StreamingAdaptiveEQ`). Without a model it applies the static EQ instead.
    case adaptive = 0
    /// The word's fixed EQ from the term table, gains scaled by the intensity.
    case `static` = 1
    /// The 13 manual EQ parameters; words, blend and intensity are ignored.
    case manual = 2

    /// Label shown by hosts and accepted by the live client.
    public var label: String {
        switch self {
        case .adaptive: "adaptive"
        case .static: "static"
        case .manual: "manual"
        }
    }
}

/// The words a host offers and what each means: the model's vocabulary when a model is
/// loaded (static mode then uses the SAFE-DB setting of words the static table has, and the
/// model's decoded EQ for the others), else the static table.
public struct HostVocabulary: Sendable {
    public let words: [String]
    /// The fixed EQ of each word at intensity 1 (static mode).
    public let settings: [EQSettings]
    public let model: AdaptiveEQModel?

    public init(staticTerms: StaticTermTable, model: AdaptiveEQModel? = nil) {
        self.model = model
        guard let model else {
            words = staticTerms.terms.map(\.word)
            settings = staticTerms.terms.map(\.settings)
            return
        }
        words = model.terms.names
        let decoder = EQDecoder(weights: model.decoder)
        let parameters = UnsafeMutablePointer<Float>.allocate(capacity: EQSettings.parameterCount)
        defer { parameters.deallocate() }
        settings = model.terms.names.enumerated().map { index, word in
            if let known = staticTerms.term(word) { return known.settings }
            decoder.decode(model.terms.latent(at: index), into: parameters)
            return EQSettings { parameters[$0.rawValue] }.clamped
        }
    }
}

/// The control values a real-time host feeds `HostEqualiser` each block, already in their
/// units. Plain values, so a host can fill them from plugin ports or from atomics.
public struct HostControls: Sendable, Equatable {
    /// Index into the vocabulary.
    public var term = 0
    /// Index into the vocabulary of the word blended in by `blend`.
    public var secondTerm = 0
    /// 0 = first word only … 1 = second word only.
    public var blend: Float = 0
    /// 0 = no change (exact null) … 1 = all the way to the word.
    public var intensity: Float = ControlParameter.intensity.defaultValue
    public var mode = EqualiserMode.adaptive
    /// How often the adaptive engine re-analyses the audio, in milliseconds.
    public var analysisIntervalMilliseconds: Float = ControlParameter.analysisInterval.defaultValue
    /// Time constant of EQ glides, in milliseconds.
    public var smoothingTimeMilliseconds: Float = ControlParameter.smoothingTime.defaultValue
    /// Gain after the equaliser, in dB.
    public var outputGainDecibels: Float = ControlParameter.outputGain.defaultValue
    /// Off = bypass (with a short crossfade).
    public var enabled = true
    /// The EQ applied in `manual` mode.
    public var manual = EQSettings.flat

    public init() {}

    /// Sets one control from a raw host value (an LV2 port value or a number typed by the
    /// user): non-finite values are ignored, others clamped into the table's range, indices
    /// and toggles rounded. `vocabularyCount` bounds the word indices. Real-time safe.
    public mutating func set(_ parameter: ControlParameter, rawValue: Float, vocabularyCount: Int) {
        guard rawValue.isFinite else { return }
        let v = min(max(rawValue, parameter.range.lowerBound), parameter.range.upperBound)
        let lastWord = Float(max(vocabularyCount - 1, 0))
        switch parameter {
        case .term: term = Int(min(v, lastWord).rounded())
        case .secondTerm: secondTerm = Int(min(v, lastWord).rounded())
        case .blend: blend = v
        case .intensity: intensity = v
        case .mode:
            // The mode port also carries `manual`, one past the table's options.
            let m = Int(min(max(rawValue, 0), Float(EqualiserMode.manual.rawValue)).rounded())
            mode = EqualiserMode(rawValue: m) ?? .adaptive
        case .analysisInterval: analysisIntervalMilliseconds = v
        case .smoothingTime: smoothingTimeMilliseconds = v
        case .outputGain: outputGainDecibels = v
        case .enabled: enabled = v >= 0.5
        }
    }

    /// The raw host value of one control (the inverse of `set`): indices and toggles as
    /// numbers, everything else in its unit.
    public func rawValue(_ parameter: ControlParameter) -> Float {
        switch parameter {
        case .term: Float(term)
        case .secondTerm: Float(secondTerm)
        case .blend: blend
        case .intensity: intensity
        case .mode: Float(mode.rawValue)
        case .analysisInterval: analysisIntervalMilliseconds
        case .smoothingTime: smoothingTimeMilliseconds
        case .outputGain: outputGainDecibels
        case .enabled: enabled ? 1 : 0
        }
    }

    /// Sets one manual EQ parameter, clamped into its range (non-finite values ignored).
    public mutating func setManual(_ parameter: EQParameter, rawValue: Float) {
        guard rawValue.isFinite else { return }
        manual[parameter] = min(max(rawValue, parameter.range.lowerBound), parameter.range.upperBound)
    }
}

/// The equaliser as real-time hosts (the LV2 plugin, the live JACK client) run it: control
/// values in, separate or shared input/output buffers, any block size, a click-free bypass
/// crossfade, smoothed output gain, and a read-out of the EQ being applied.
///
/// Real-time contract: `init` and `prepare` allocate; `process`, `reset` and
/// `appliedSettings` never allocate, lock or take locks, and accept any `frameCount`
/// (blocks longer than `chunkFrames` are split internally). Not thread-safe: one thread
/// renders.
///
/// In static mode with the equaliser enabled and 0 dB output gain the output is
/// bit-identical to `EQProcessor` snapped to `term.scaled(by: intensity)`, which is what
/// `adaptive-eq process --mode static` renders; manual mode matches `--eq` the same way, and
/// adaptive mode matches `StreamingAdaptiveEQ` as `process --mode adaptive` runs it.
///
/// With a model, the static/manual cascade runs all the time (it is cheap) and the adaptive
/// engine runs in adaptive mode; switching modes crossfades between the two over 10 ms.
/// Entering adaptive mode restarts the engine, which primes its analysis after 8 frames and
/// glides in from flat, so the switch is click-free.
public struct HostEqualiser: ~Copyable {
    /// Frames processed per internal chunk (the size of the dry scratch buffer).
    public static let chunkFrames = 1024
    /// Length of the bypass crossfade.
    public static let bypassFadeMilliseconds: Float = 10
    /// Length of an output-gain ramp.
    public static let gainRampMilliseconds: Float = 20

    /// Number of words in the vocabulary (valid term indices are 0..<vocabularyCount).
    public let vocabularyCount: Int
    public private(set) var channelCount = 0
    public private(set) var sampleRateHz: Double = 44_100

    private let vocabulary: UnsafeMutablePointer<EQSettings>
    private var eq = EQProcessor()
    /// The adaptive engine, when there is a model (behind a pointer: it is ~Copyable).
    private let engine: UnsafeMutablePointer<StreamingAdaptiveEQ>?
    private var dry: UnsafeMutablePointer<Float>
    private var work: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private var adaptiveBuffer: UnsafeMutablePointer<Float>
    private var adaptiveWork: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    /// 1 = the adaptive engine is heard, 0 = the static/manual cascade.
    private var engineMix: Float = 0, engineMixStep: Float = 0
    private var controls = HostControls()
    private var fresh = true
    private var mix: Float = 1, mixStep: Float = 0
    private var gain: Float = 1, gainTarget: Float = 1, gainStep: Float = 0

    /// A host equaliser over a vocabulary (its model drives adaptive mode, when present).
    public init(vocabulary: HostVocabulary) {
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

    /// Sets the sample rate (any positive rate) and channel count (1…8) and clears all
    /// state. Allocates.
    public mutating func prepare(sampleRateHz: Double, channelCount: Int) {
        precondition(sampleRateHz.isFinite && sampleRateHz > 0, "sample rate must be positive")
        precondition(channelCount >= 1 && channelCount <= EQProcessor.maximumChannelCount, "1…8 channels")
        self.sampleRateHz = sampleRateHz
        self.channelCount = channelCount
        dry.deallocate(); work.deallocate(); adaptiveBuffer.deallocate(); adaptiveWork.deallocate()
        dry = .allocate(capacity: channelCount * Self.chunkFrames)
        dry.initialize(repeating: 0, count: channelCount * Self.chunkFrames)
        work = .allocate(capacity: channelCount)
        let adaptiveCount = engine == nil ? 1 : channelCount * Self.chunkFrames
        adaptiveBuffer = .allocate(capacity: adaptiveCount)
        adaptiveBuffer.initialize(repeating: 0, count: adaptiveCount)
        adaptiveWork = .allocate(capacity: channelCount)
        for c in 0..<channelCount { adaptiveWork[c] = adaptiveBuffer + (engine == nil ? 0 : c * Self.chunkFrames) }
        eq.prepare(sampleRateHz: Float(sampleRateHz), channelCount: channelCount)
        if let engine {
            engine.pointee.prepare(sampleRateHz: sampleRateHz, channelCount: channelCount)
            // Run every engine path once here (priming, analysis, decoding), so one-time
            // initialisations happen now and never on the audio thread.
            var remaining = Int(sampleRateHz)
            while remaining > 0 {
                let n = min(remaining, Self.chunkFrames)
                for c in 0..<channelCount { adaptiveWork[c].update(repeating: 0, count: n) }
                engine.pointee.process(adaptiveWork, frameCount: n)
                remaining -= n
            }
        }
        reset()
    }

    /// Clears filter state; the next `process` starts on its controls without a glide.
    public mutating func reset() {
        eq.reset()
        if let engine { engine.pointee.reset() }
        fresh = true
    }

    /// The EQ the given controls ask for (before smoothing).
    public func targetSettings(_ c: HostControls) -> EQSettings {
        switch c.mode {
        case .manual:
            return c.manual
        case .static, .adaptive:
            // In adaptive mode with an engine this cascade runs alongside (for crossfades).
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
            switch p.unit {
            case .decibels: a[p] + t * (b[p] - a[p])
            case .hertz, .q: exp2f(log2f(a[p]) + t * (log2f(b[p]) - log2f(a[p])))
            }
        }
    }

    /// The EQ being applied right now, in table order: in adaptive mode with an engine, the
    /// EQ the audio is being moved to (`decoder(z_final)`); otherwise the cascade's current
    /// (mid-glide) values.
    public var appliedSettings: EQSettings {
        if controls.mode == .adaptive, let engine { return engine.pointee.targetSettings }
        var s = EQSettings.flat
        for stage in 0..<EQSettings.bandCount {
            let band = eq.currentBand(stage: stage)
            switch stage {
            case 0: s.g1 = band.gainDecibels; s.f1 = band.frequencyHz
            case 1: s.g2 = band.gainDecibels; s.f2 = band.frequencyHz; s.q2 = band.q
            case 2: s.g3 = band.gainDecibels; s.f3 = band.frequencyHz; s.q3 = band.q
            case 3: s.g4 = band.gainDecibels; s.f4 = band.frequencyHz; s.q4 = band.q
            default: s.g5 = band.gainDecibels; s.f5 = band.frequencyHz
            }
        }
        return s
    }

    /// Renders `frameCount` frames of `channelCount` channels from `inputs` into `outputs`
    /// (an output may be the same buffer as its input). Real-time safe; any frame count,
    /// including 0 and 1.
    public mutating func process(inputs: UnsafePointer<UnsafePointer<Float>>,
                                 outputs: UnsafePointer<UnsafeMutablePointer<Float>>,
                                 frameCount: Int, controls new: HostControls) {
        apply(new)
        var done = 0
        while done < frameCount {
            let n = min(Self.chunkFrames, frameCount - done)
            for c in 0..<channelCount {
                let d = dry + c * Self.chunkFrames
                d.update(from: inputs[c] + done, count: n)
                let out = outputs[c] + done
                out.update(from: d, count: n)
                work[c] = out
            }
            eq.process(work, frameCount: n)
            if let engine, engineMix > 0 || engineMixStep > 0 {
                for c in 0..<channelCount { adaptiveWork[c].update(from: dry + c * Self.chunkFrames, count: n) }
                engine.pointee.process(adaptiveWork, frameCount: n)
                mixEngine(frames: n)
            }
            crossfadeAndGain(frames: n)
            done += n
        }
    }

    // MARK: - internals

    private mutating func apply(_ new: HostControls) {
        let rate = Float(sampleRateHz)
        if fresh || new.smoothingTimeMilliseconds != controls.smoothingTimeMilliseconds {
            eq.smoothingTimeMilliseconds = max(new.smoothingTimeMilliseconds, 0)
        }
        if fresh || new != controls {
            eq.setTargets(targetSettings(new))
        }
        let newGain = powf(10, new.outputGainDecibels / 20)
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
            // A fresh stream starts its analysis grid with the interval in force.
            if fresh { engine.pointee.reset() }
        }
        if fresh {
            engineMix = useEngine
            engineMixStep = 0
        } else if new.mode != controls.mode && (new.mode == .adaptive || controls.mode == .adaptive) {
            // Entering adaptive mode from silence of the engine: start it afresh.
            if useEngine > 0 && engineMix <= 0, let engine { engine.pointee.reset() }
            engineMixStep = (useEngine > 0 ? 1 : -1) / max(Self.bypassFadeMilliseconds * 0.001 * rate, 1)
        }
        if fresh {
            eq.snapToTargets()
            mix = new.enabled ? 1 : 0
            mixStep = 0
            gain = newGain
            gainTarget = newGain
            gainStep = 0
            fresh = false
        } else {
            if new.enabled != controls.enabled {
                mixStep = (new.enabled ? 1 : -1) / max(Self.bypassFadeMilliseconds * 0.001 * rate, 1)
            }
            if newGain != gainTarget {
                gainTarget = newGain
                gainStep = (newGain - gain) / max(Self.gainRampMilliseconds * 0.001 * rate, 1)
            }
        }
        controls = new
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
                    w[i] += m * (a[i] - w[i])
                }
            }
            engineMix = m
            if engineMix <= 0 || engineMix >= 1 { engineMixStep = 0 }
        } else if engineMix >= 1 {
            for c in 0..<channelCount { work[c].update(from: adaptiveWork[c], count: n) }
        }
    }

    /// Crossfades the equalised chunk (in `work`) with the dry copy and applies the output
    /// gain; both are skipped entirely when settled at "enabled, 0 dB".
    private mutating func crossfadeAndGain(frames n: Int) {
        if mixStep != 0 {
            var m = mix
            for c in 0..<channelCount {
                m = mix
                let d = dry + c * Self.chunkFrames, w = work[c]
                for i in 0..<n {
                    m = min(max(m + mixStep, 0), 1)
                    w[i] = d[i] + m * (w[i] - d[i])
                }
            }
            mix = m
            if mix <= 0 || mix >= 1 { mixStep = 0 }
        } else if mix <= 0 {
            for c in 0..<channelCount { work[c].update(from: dry + c * Self.chunkFrames, count: n) }
        }
        if gainStep != 0 {
            var g = gain
            for c in 0..<channelCount {
                g = gain
                let w = work[c]
                for i in 0..<n {
                    g += gainStep
                    if (gainStep > 0 && g > gainTarget) || (gainStep < 0 && g < gainTarget) { g = gainTarget }
                    w[i] *= g
                }
            }
            gain = g
            if gain == gainTarget { gainStep = 0 }
        } else if gain != 1 {
            for c in 0..<channelCount {
                let w = work[c]
                for i in 0..<n { w[i] *= gain }
            }
        }
    }
}
