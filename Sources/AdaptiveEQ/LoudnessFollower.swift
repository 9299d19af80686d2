import EQAnalysis
import EQDSP

/// Loudness matching for a fixed EQ (static mode), where no adaptive engine runs: listens to
/// the input's mono mix with the log-mel front end, re-predicts the loudness-keeping gain of
/// `settings` (see `LoudnessMatch`) every `updateFrames` samples of the stream, and applies
/// it gliding like the EQ. The input and the equalised output are handed over together, so
/// listening and gain stay on fixed stream positions whatever the block sizes.
///
/// Allocates in `init`/`prepare`; `process` and `reset` are real-time safe.
struct LoudnessFollower: ~Copyable {
    /// The EQ whose loudness change is undone; takes effect at the next update.
    var settings = EQSettings.flat
    /// Off: the gain glides back to 0 dB.
    var isEnabled = true
    /// The gain applied now, in dB.
    var gainDecibels: Float { gain.currentDecibels }

    private let configuration: MelConfiguration
    private var mel: MelRing
    private var match: LoudnessMatch
    private var gain = GainGlide()
    private let mono: UnsafeMutablePointer<Float>
    private var framesListened = 0
    private var updateFrames = 2048
    private var untilUpdate = 2048
    private var channelCount = 1
    private var sampleRateHz: Double = 44_100
    private static let monoChunk = 256

    init(configuration: MelConfiguration = MelConfiguration()) {
        self.configuration = configuration
        mel = MelRing(analyzer: LogMelAnalyzer(configuration: configuration, sampleRateHz: 44_100), capacity: 4)
        match = LoudnessMatch(configuration: configuration, sampleRateHz: 44_100, averageFrames: 176)
        mono = .allocate(capacity: Self.monoChunk)
    }

    deinit { mono.deallocate() }

    /// Sets the stream's rate and channel count, the glide time and how often the gain is
    /// re-predicted (rounded to whole mel hops); clears all state. Allocates.
    mutating func prepare(sampleRateHz: Double, channelCount: Int, smoothingMilliseconds: Float,
                                 updateMilliseconds: Float) {
        self.sampleRateHz = sampleRateHz
        self.channelCount = channelCount
        let analyzer = LogMelAnalyzer(configuration: configuration, sampleRateHz: sampleRateHz)
        let hop = analyzer.hopSize
        // Average over about 2 s, like the adaptive engine's analysis window.
        let frames = max(1, Int((2 * sampleRateHz / Double(hop)).rounded()))
        mel = MelRing(analyzer: analyzer, capacity: 4)
        match = LoudnessMatch(configuration: configuration, sampleRateHz: sampleRateHz, averageFrames: frames)
        updateFrames = hop * max(1, Int((Double(min(max(updateMilliseconds, 5), 1000)) * 0.001 * sampleRateHz
                                          / Double(hop)).rounded()))
        setSmoothing(milliseconds: smoothingMilliseconds)
        reset()
    }

    mutating func setSmoothing(milliseconds: Float) {
        gain.setSmoothing(milliseconds: milliseconds, sampleRateHz: Float(sampleRateHz))
    }

    /// Forgets what was heard; the gain restarts at 0 dB.
    mutating func reset() {
        mel.reset()
        match.reset()
        framesListened = 0
        untilUpdate = updateFrames
        gain.targetDecibels = 0
        gain.reset()
    }

    /// Listens to `frameCount` input frames (channel `c` at `input + c · inputStride`) and
    /// applies the gain to the same frames of `output` (already equalised).
    mutating func process(input: UnsafePointer<Float>, inputStride: Int,
                                 output: UnsafePointer<UnsafeMutablePointer<Float>>, frameCount: Int) {
        var done = 0
        while done < frameCount {
            let n = min(frameCount - done, untilUpdate, Self.monoChunk)
            mono.update(repeating: 0, count: n)
            for c in 0..<channelCount {
                let x = input + c * inputStride + done
                for i in 0..<n { mono[i] += x[i].isFinite ? min(max(x[i], -16), 16) : 0 }
            }
            let scale = 1 / Float(channelCount)
            for i in 0..<n { mono[i] *= scale }
            mel.push(mono, count: n)
            while framesListened < mel.framesProduced {
                match.listen(logMelColumn: mel.column(frame: framesListened))
                framesListened += 1
            }
            gain.process(output, channelCount: channelCount, frameCount: n, offset: done)
            done += n
            untilUpdate -= n
            if untilUpdate == 0 {
                untilUpdate = updateFrames
                gain.targetDecibels = isEnabled ? match.gainDecibels(target: settings, correction: .flat) : 0
            }
        }
    }
}
