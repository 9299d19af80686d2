import EQAnalysis
import EQDSP
import EQInference

/// What the adaptive engine moves the audio towards: a word (or a blend of two words from
/// the model's vocabulary) and how far to go.
public struct AdaptiveTarget: Sendable, Equatable {
    /// Index of the word in the model's term table.
    public var term: Int
    /// Index of a second word; used when `blend` > 0.
    public var secondTerm: Int
    /// 0 = `term` only … 1 = `secondTerm` only; the latent target is `A + blend·(B − A)`.
    public var blend: Float
    /// 0 = output equals input (exact null) … 1 = all the way to the word.
    public var intensity: Float

    /// A target from term indices (no `secondTerm`: the first word alone).
    public init(term: Int, secondTerm: Int? = nil, blend: Float = 0, intensity: Float) {
        self.term = term
        self.secondTerm = secondTerm ?? term
        self.blend = blend
        self.intensity = intensity
    }
}

/// The adaptive semantic equaliser: listens to the input, estimates the colouration it
/// already carries (`z_audio`), moves it towards the target word in the latent space,
///
///     z_current = share(intensity) · z_audio
///     z_final   = (1 − intensity) · z_current + λ(intensity) · z_target,
///
/// and applies `decoder(z_final)` followed by the exact inverse of `decoder(z_current)`
/// (RBJ peaking and shelving filters invert by negating the gain), as ten smoothed
/// filter stages. At intensity 0 both halves are the same EQ and cancel (null); λ makes the
/// word's EQ `intensity` × its full EQ (`WordIntensity`), and the audio's own colouration is
/// undone in a share that rises steeply towards intensity 1 (`ownColourationShare`), within
/// the correction limit (`CorrectionLimit`).
///
/// Analysis runs inline every `analysisIntervalMilliseconds` (rounded to whole STFT hops;
/// 4 × 512 samples at 44.1 kHz by default) on the last ≈2 s of the mono mix, using the
/// streaming encoder (only new frames are computed). Analyses fall on fixed positions of the
/// stream, and EQ glides run on a stream-anchored grid, so the output does not depend on the
/// host's block sizes. Before the first 2 s have been heard, the analysis window is primed
/// after `warmUpFrames` frames (≈93 ms) by repeating what has been heard so far, and the EQ
/// glides in from flat: no silence gap, no click.
///
/// Real-time contract: `init` and `prepare` allocate; `process`, `reset` and setting
/// `target` never allocate or lock. Call them all from the rendering thread.
public struct StreamingAdaptiveEQ: ~Copyable {
    /// Frames heard before the window is primed and adaptation starts.
    public static let warmUpFrames = 8
    /// Longest run of samples mixed to mono at once (bounds scratch memory).
    static let monoChunk = 256

    /// The model whose encoder listens and whose decoder designs the EQ.
    public let model: AdaptiveEQModel
    /// Where the audio is steered; takes effect at the next analysis.
    public var target: AdaptiveTarget
    /// Time between analyses in milliseconds (5 … 1000).
    public var analysisIntervalMilliseconds: Float = ControlParameter.analysisInterval.defaultValue {
        didSet { updateInterval() }
    }
    /// Time constant of EQ glides in milliseconds.
    public var smoothingTimeMilliseconds: Float {
        get { equaliser.smoothingTimeMilliseconds }
        set {
            equaliser.smoothingTimeMilliseconds = newValue
            outputGain.setSmoothing(milliseconds: newValue, sampleRateHz: Float(sampleRateHz))
        }
    }
    /// Largest response, in dB, of the correction of the audio's own colouration (see
    /// `CorrectionLimit`); takes effect at the next analysis.
    public var correctionLimitDecibels: Float = ControlParameter.correctionLimit.defaultValue
    /// Keeps the output's loudness at the input's (see `LoudnessMatch`); takes effect at the
    /// next analysis and glides like the EQ.
    public var matchesLoudness = ControlParameter.loudnessMatch.defaultValue >= 0.5

    /// The colouration the audio carried at the last analysis, as a 5-band EQ (flat before
    /// the first). For displays: the render path never needs it, so it is decoded here, on
    /// each read (one decode, about 4 µs), not at every analysis. Read it on the thread that
    /// calls `process`, between blocks.
    public var audioSettings: EQSettings {
        guard analysisCount > 0 else { return .flat }
        decoder.decode(zAudio, into: parameters)
        return EQSettings { parameters[$0.rawValue] }
    }
    /// The EQ the audio is being moved to (`decoder(z_final)`, shifted as the correction
    /// limit requires).
    public private(set) var targetSettings = EQSettings.flat
    /// The colouration the engine undoes, as its filters glide to it: `ownColourationShare`
    /// of `audioSettings` (0.28 at intensity 0.7), within the correction limit. Where the
    /// filters are now is `applied`.
    public private(set) var correctionSettings = EQSettings.flat
    /// What the audio goes through now (see `AppliedEQ`; no detail stage here): the target
    /// and correction halves of the filter pairs as they are (mid-glide), and the gain.
    public var applied: AppliedEQ {
        AppliedEQ(target: EQSettings(currentBandsOf: equaliser, first: 0, stride: 2, inverted: false),
                  correction: EQSettings(currentBandsOf: equaliser, first: 1, stride: 2, inverted: true),
                  loudnessGainDecibels: outputGain.currentDecibels)
    }
    /// The loudness-matching gain the output is gliding to, in dB (0 when matching is off).
    public var loudnessGainTargetDecibels: Float { outputGain.targetDecibels }
    /// The loudness-matching gain applied now, in dB.
    public var loudnessGainDecibels: Float { outputGain.currentDecibels }
    /// Analyses run since `reset()`.
    public private(set) var analysisCount = 0
    /// The rate of the last `prepare`.
    public private(set) var sampleRateHz: Double = 44_100
    /// Channels of the last `prepare` (0 before it).
    public private(set) var channelCount = 0
    /// The longest block `process` accepts (from the spec it was prepared with).
    public private(set) var maximumBlockFrames = 0

    private var equaliser: EQProcessor
    private var outputGain = GainGlide()
    private var loudness: LoudnessMatch
    private var correctionGrid: FrequencyGrid
    private var wordIntensity: WordIntensity
    private var mel: MelRing
    private var encoder: StreamingAudioEncoder
    private let decoder: EQDecoder
    private let zAudio: UnsafeMutablePointer<Float>
    private let zCurrent: UnsafeMutablePointer<Float>
    private let zFinal: UnsafeMutablePointer<Float>
    private let parameters: UnsafeMutablePointer<Float>
    private let mono: UnsafeMutablePointer<Float>
    private var channelPointers: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private var framesFed = 0          // mel frames handed to the encoder
    private var intervalSamples = 2048
    private var samplesToAnalysis = 2048

    /// Stage kinds: each target band is followed by the inverse of the matching current band,
    /// so that at intensity 0 every pair cancels right where it is.
    static let stageKinds: [FilterKind] = [.lowShelf, .lowShelf, .peaking, .peaking, .peaking, .peaking,
                                          .peaking, .peaking, .highShelf, .highShelf]

    /// How the engine schedules its encoder's work (see `StreamingAudioEncoder.init`).
    public static let eagerColumnParity: Int? = nil

    /// An engine for `model`, steering towards `target`. Allocates its weights' scratch;
    /// call `prepare` before the first block.
    public init(model: AdaptiveEQModel, target: AdaptiveTarget) {
        self.model = model
        self.target = target
        equaliser = EQProcessor(kinds: Self.stageKinds, cancelsInversePairs: true)
        equaliser.smoothingTimeMilliseconds = ControlParameter.smoothingTime.defaultValue
        let analyzer = LogMelAnalyzer(configuration: model.melConfiguration, sampleRateHz: 44_100)
        mel = MelRing(analyzer: analyzer, capacity: 64)
        loudness = LoudnessMatch(configuration: model.melConfiguration, sampleRateHz: 44_100,
                                 averageFrames: model.frameCount)
        correctionGrid = CorrectionLimit.grid(sampleRateHz: 44_100)
        // Encoder columns are computed in the analysing block, not as frames arrive: the
        // blocks in between then carry only the EQ and one mel frame (the same work per
        // analysis period, the same result; only the block it lands in moves).
        encoder = StreamingAudioEncoder(weights: model.encoder, frameCount: model.frameCount,
                                        eagerColumnParity: Self.eagerColumnParity)
        decoder = EQDecoder(weights: model.decoder)
        zAudio = .allocate(capacity: model.latentCount)
        zAudio.initialize(repeating: 0, count: model.latentCount)
        zCurrent = .allocate(capacity: model.latentCount)
        zFinal = .allocate(capacity: model.latentCount)
        wordIntensity = WordIntensity(latentCount: model.latentCount)
        parameters = .allocate(capacity: EQSettings.parameterCount)
        mono = .allocate(capacity: Self.monoChunk)
        channelPointers = .allocate(capacity: EQProcessor.maximumChannelCount)
    }

    deinit {
        zAudio.deallocate(); zCurrent.deallocate(); zFinal.deallocate(); parameters.deallocate()
        mono.deallocate(); channelPointers.deallocate()
    }

    /// Prepares for `spec` (8–192 kHz, 1–8 channels, blocks up to `spec.maximumBlockFrames`)
    /// and clears all state. Allocates (analysis sizes depend on the rate, the mel history
    /// on the longest block); call it off the audio thread.
    public mutating func prepare(_ spec: ProcessSpec) {
        sampleRateHz = spec.sampleRateHz
        channelCount = spec.channelCount
        maximumBlockFrames = spec.maximumBlockFrames
        equaliser.prepare(spec)
        let analyzer = LogMelAnalyzer(configuration: model.melConfiguration, sampleRateHz: spec.sampleRateHz)
        // Frames are handed to the encoder after each block, so the ring must hold every
        // frame one block can complete, plus the first frames the priming repeats.
        let framesPerBlock = spec.maximumBlockFrames / analyzer.hopSize + 2
        mel = MelRing(analyzer: analyzer, capacity: max(64, Self.warmUpFrames + framesPerBlock))
        loudness = LoudnessMatch(configuration: model.melConfiguration, sampleRateHz: spec.sampleRateHz,
                                 averageFrames: model.frameCount)
        correctionGrid = CorrectionLimit.grid(sampleRateHz: spec.sampleRateHz)
        wordIntensity.reset()
        outputGain.setSmoothing(milliseconds: smoothingTimeMilliseconds, sampleRateHz: Float(spec.sampleRateHz))
        updateInterval()
        reset()
    }

    /// Clears filters, analysis history and the colouration estimate; keeps the controls.
    public mutating func reset() {
        equaliser.reset()
        for s in 0..<Self.stageKinds.count {
            equaliser.setTarget(BandParameters(kind: Self.stageKinds[s], frequencyHz: 1000, gainDecibels: 0,
                                               q: BandParameters.shelfQ), stage: s)
        }
        equaliser.snapToTargets()
        mel.reset()
        encoder.reset()
        framesFed = 0
        samplesToAnalysis = intervalSamples
        analysisCount = 0
        targetSettings = .flat
        correctionSettings = .flat
        loudness.reset()
        outputGain.targetDecibels = 0
        outputGain.reset()
    }

    /// Overwrites row `index` of the model's term table with `latent` (`model.latentCount`
    /// values) and forgets the cached intensity scale, so the next analysis steers to it.
    /// The table's storage is shared with every copy of `model`: give each engine whose rows
    /// change a model of its own (`AdaptiveEQModel.appendingTerm` makes one). Real-time safe.
    public mutating func replaceTermLatent(at index: Int, with latent: UnsafePointer<Float>) {
        let terms = model.terms
        guard index >= 0 && index < terms.count else { return }
        (terms.z.pointer + index * terms.latentCount).update(from: latent, count: terms.latentCount)
        wordIntensity.reset()
    }

    /// Equalises `frameCount` (≤ `maximumBlockFrames`) samples of each channel in place.
    /// Real-time safe.
    public mutating func process(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, frameCount: Int) {
        precondition(frameCount <= maximumBlockFrames, "block longer than the prepared maximum")
        var done = 0
        while done < frameCount {
            let n = min(frameCount - done, samplesToAnalysis)
            listen(channels, offset: done, frames: n)
            for c in 0..<channelCount { channelPointers[c] = channels[c] + done }
            equaliser.process(channelPointers, frameCount: n)
            outputGain.process(channelPointers, channelCount: channelCount, frameCount: n)
            done += n
            samplesToAnalysis -= n
            if samplesToAnalysis == 0 {
                samplesToAnalysis = intervalSamples
                analyse()
            }
        }
    }

    /// Copies the latent of the last analysis (`model.latentCount` values; zeros before the
    /// first) into `z`. For analysis tools; not needed to process audio.
    public func copyAudioLatent(into z: UnsafeMutablePointer<Float>) {
        z.update(from: zAudio, count: model.latentCount)
    }

    /// Share of the audio's own colouration the engine takes on at `intensity` (0 … 1):
    /// `gentleShare · i + (1 − gentleShare) · i⁸`. On real music the estimate of a recording's
    /// own colouration is a few dB off, so the default 0.7 takes on only 0.28 of it (net of
    /// z_final's share, 0.2 is undone), every step of intensity still adapts a little more
    /// (0.09 at 0.25, 0.18 at 0.5, 0.42 at 0.85) and 1 undoes all of it. Chosen on 20 real
    /// recordings (`eval/evaluate.py`, `aeq_metrics.py sane_eq`): a gentle share of 0.2 keeps
    /// 80/80 (clip, word) pairs within ±9 dB at 0.7 but adapts nothing below 0.5; 0.5 adapts
    /// from 0.25 on but leaves 76/80 within ±9 dB; 0.35 gives 78/80 and falls at every step.
    public static func ownColourationShare(_ intensity: Float) -> Float {
        let i2 = intensity * intensity, i4 = i2 * i2
        return gentleShare * intensity + (1 - gentleShare) * (i4 * i4)
    }
    static let gentleShare: Float = 0.35

    // MARK: - internals

    private mutating func updateInterval() {
        let hop = mel.analyzer.hopSize
        let ms = min(max(analysisIntervalMilliseconds, 5), 1000)
        let hops = max(1, Int((Double(ms) * 0.001 * sampleRateHz / Double(hop)).rounded()))
        intervalSamples = hops * hop
        samplesToAnalysis = min(samplesToAnalysis, intervalSamples)
    }

    /// Feeds the input's mono mix (non-finite samples as silence) to the analysis.
    private mutating func listen(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, offset: Int, frames: Int) {
        let scale = 1 / Float(channelCount)
        var done = 0
        while done < frames {
            let n = min(Self.monoChunk, frames - done)
            // Channel by channel over the chunk, four samples at a time; the same sums, in
            // the same order, as a per-sample loop.
            mono.update(repeating: 0, count: n)
            for c in 0..<channelCount {
                let x = channels[c] + offset + done
                var i = 0
                while i + 4 <= n {
                    var v = SIMD4(x[i], x[i + 1], x[i + 2], x[i + 3])
                    v.replace(with: 0, where: (v - v) .!= SIMD4<Float>.zero)  // NaN/Inf
                    v.replace(with: 16, where: v .> 16)
                    v.replace(with: -16, where: v .< -16)
                    let m = UnsafeMutableRawPointer(mono + i)
                    m.storeBytes(of: m.loadUnaligned(as: SIMD4<Float>.self) + v, as: SIMD4<Float>.self)
                    i += 4
                }
                while i < n {
                    let v = x[i]
                    mono[i] += v.isFinite ? min(max(v, -16), 16) : 0
                    i += 1
                }
            }
            for i in 0..<n { mono[i] *= scale }
            mel.push(mono, count: n)
            done += n
        }
        feedEncoder()
    }

    /// Hands completed mel frames to the encoder, priming its window once enough is heard.
    private mutating func feedEncoder() {
        let produced = mel.framesProduced
        if framesFed == 0 {
            guard produced >= Self.warmUpFrames else { return }
            // Prime: repeat the first frames heard so the window is full from the start;
            // real frames then slide the repeats out. Always exactly `warmUpFrames`, however
            // the audio arrived, so the result does not depend on block sizes.
            let heard = Self.warmUpFrames
            for i in 0..<max(model.frameCount - heard, 0) {
                encoder.append(logMelColumn: mel.column(frame: i % heard))
            }
            for f in 0..<heard {
                encoder.append(logMelColumn: mel.column(frame: f))
                loudness.listen(logMelColumn: mel.column(frame: f))
            }
            framesFed = heard
        }
        while framesFed < produced {
            encoder.append(logMelColumn: mel.column(frame: framesFed))
            loudness.listen(logMelColumn: mel.column(frame: framesFed))
            framesFed += 1
        }
    }

    /// Re-estimates the audio's colouration and sets new EQ targets.
    private mutating func analyse() {
        guard framesFed > 0, encoder.isWindowFull else { return }
        // Encoded into scratch first, so a failed analysis leaves the last latent in place.
        encoder.encode(into: zCurrent)
        let latent = model.latentCount
        for i in 0..<latent where !zCurrent[i].isFinite { return }
        let gain = model.colourationGain
        for i in 0..<latent { zAudio[i] = zCurrent[i] * gain }

        let terms = model.terms
        let count = terms.count
        let a = terms.latent(at: min(max(target.term, 0), count - 1))
        let b = terms.latent(at: min(max(target.secondTerm, 0), count - 1))
        let blend = target.blend.isFinite ? min(max(target.blend, 0), 1) : 0
        let intensity = target.intensity.isFinite ? min(max(target.intensity, 0), 1) : 0
        // The share of the audio's own colouration taken on (z = 0 decodes to a flat EQ within
        // 0.5 dB) rises gently with intensity and steeply towards 1 (`ownColourationShare`):
        // moderate settings mostly add the word's character, full intensity also removes what
        // the recording carries, so different inputs converge.
        let own = Self.ownColourationShare(intensity)
        // The word's part is scaled so that its EQ is `intensity` × the word's full EQ (see
        // `WordIntensity`); zFinal holds the blended target until then.
        for i in 0..<latent { zFinal[i] = a[i] + blend * (b[i] - a[i]) }
        let wordScale = wordIntensity.latentScale(zFinal, target: target, intensity: intensity,
                                                  decoder: decoder, grid: correctionGrid)
        for i in 0..<latent {
            zCurrent[i] = own * zAudio[i]
            zFinal[i] = (1 - intensity) * zCurrent[i] + wordScale * zFinal[i]
        }
        decoder.decode(zCurrent, into: parameters)
        let current = EQSettings { parameters[$0.rawValue] }
        decoder.decode(zFinal, into: parameters)
        let decoded = EQSettings { parameters[$0.rawValue] }
        let limit = correctionLimitDecibels.isFinite ? correctionLimitDecibels : ControlParameter.correctionLimit.defaultValue
        let correction = CorrectionLimit.bounded(current, limitDecibels: limit, grid: correctionGrid)
        let wanted = CorrectionLimit.target(decoded, colouration: current, limited: correction, intensity: intensity)
        correctionSettings = correction
        targetSettings = wanted
        for band in 0..<EQSettings.bandCount {
            equaliser.setTarget(wanted.band(band), stage: 2 * band)
            equaliser.setTarget(correction.band(band).inverted, stage: 2 * band + 1)
        }
        // At intensity 0 the pairs cancel exactly; so does the gain.
        outputGain.targetDecibels = matchesLoudness && intensity > 0
            ? loudness.gainDecibels(target: wanted, correction: correction) : 0
        analysisCount += 1
    }
}

extension StreamingAdaptiveEQ: AudioBlockProcessor {}

extension AdaptiveEQModel {
    /// The log-mel front end the model was trained with.
    public var melConfiguration: MelConfiguration {
        MelConfiguration(referenceSampleRateHz: referenceSampleRateHz, fftSize: fftSize, hopSize: hopSize,
                         melBandCount: melBandCount, minimumFrequencyHz: minimumFrequencyHz,
                         maximumFrequencyHz: maximumFrequencyHz)
    }
}
