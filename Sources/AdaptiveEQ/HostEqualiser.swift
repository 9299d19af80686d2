import EQDSP

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
    /// Listens to the audio and moves it from its own colouration towards the word.
    /// Until the streaming engine is linked into hosts this applies the static table.
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
            let m = Int(min(max(rawValue, 0), Float(EqualiserMode.allCases.count - 1)).rounded())
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
/// `adaptive-eq process --term` renders; manual mode matches `--eq` the same way.
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
    private var dry: UnsafeMutablePointer<Float>
    private var work: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private var controls = HostControls()
    private var fresh = true
    private var mix: Float = 1, mixStep: Float = 0
    private var gain: Float = 1, gainTarget: Float = 1, gainStep: Float = 0

    /// A host equaliser over `vocabulary` (the EQ of each word, in term-index order; an empty
    /// vocabulary acts as one flat word).
    public init(vocabulary words: [EQSettings]) {
        vocabularyCount = max(words.count, 1)
        vocabulary = .allocate(capacity: vocabularyCount)
        if words.isEmpty {
            vocabulary.initialize(to: .flat)
        } else {
            vocabulary.initialize(from: words, count: words.count)
        }
        dry = .allocate(capacity: 1)
        work = .allocate(capacity: 1)
    }

    deinit {
        vocabulary.deallocate(); dry.deallocate(); work.deallocate()
    }

    /// Sets the sample rate (any positive rate) and channel count (1…8) and clears all
    /// state. Allocates.
    public mutating func prepare(sampleRateHz: Double, channelCount: Int) {
        precondition(sampleRateHz.isFinite && sampleRateHz > 0, "sample rate must be positive")
        precondition(channelCount >= 1 && channelCount <= EQProcessor.maximumChannelCount, "1…8 channels")
        self.sampleRateHz = sampleRateHz
        self.channelCount = channelCount
        dry.deallocate(); work.deallocate()
        dry = .allocate(capacity: channelCount * Self.chunkFrames)
        dry.initialize(repeating: 0, count: channelCount * Self.chunkFrames)
        work = .allocate(capacity: channelCount)
        eq.prepare(sampleRateHz: Float(sampleRateHz), channelCount: channelCount)
        reset()
    }

    /// Clears filter state; the next `process` starts on its controls without a glide.
    public mutating func reset() {
        eq.reset()
        fresh = true
    }

    /// The EQ the given controls ask for (before smoothing).
    public func targetSettings(_ c: HostControls) -> EQSettings {
        switch c.mode {
        case .manual:
            return c.manual
        case .static, .adaptive:
            // Engine seam: adaptive mode will take its bands from the streaming engine.
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

    /// The EQ being applied right now (mid-glide values while smoothing), in table order.
    public var appliedSettings: EQSettings {
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
