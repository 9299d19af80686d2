/// The user-facing controls of the equaliser beyond the 13 EQ parameters. Together with
/// `EQParameter` this is the one table from which the CLI flags, the LV2 ports and TTL,
/// the studio sliders and the docs are generated.
public enum ControlParameter: Int, CaseIterable, Sendable {
    /// `term`: the word to move the sound towards (an index into the vocabulary).
    case term
    /// `term_b`: a second word, blended in by `blend`.
    case secondTerm
    /// `blend`: 0 = first word only … 1 = second word only.
    case blend
    /// `intensity`: 0 = output equals input (exact null) … 1 = all the way to the word.
    case intensity
    /// `mode`: adaptive, static or manual (`EqualiserMode`).
    case mode
    /// `analysis_ms`: how often the adaptive engine re-analyses the audio, in ms.
    case analysisInterval
    /// `smoothing_ms`: time constant of EQ glides, in ms.
    case smoothingTime
    /// `output_gain_db`: gain after the equaliser, in dB.
    case outputGain
    /// `enabled`: off bypasses with a click-free crossfade.
    case enabled
    /// `correction_limit_db`: largest boost or cut spent on undoing the audio's own colouration.
    case correctionLimit
    /// `loudness_match`: keep the output as loud as the input (BS.1770) in the word modes.
    case loudnessMatch

    /// What kind of value a control holds, so each front end can show it properly.
    public enum Kind: Sendable, Equatable {
        /// A continuous value.
        case continuous
        /// An index into the vocabulary (hosts show the words).
        case vocabulary
        /// An integer choosing one of the named options.
        case enumeration([String])
        /// On/off.
        case toggle
    }

    /// Stable identifier: LV2 port symbol, JSON key, CLI flag stem.
    public var symbol: String {
        switch self {
        case .term: "term"
        case .secondTerm: "term_b"
        case .blend: "blend"
        case .intensity: "intensity"
        case .mode: "mode"
        case .analysisInterval: "analysis_ms"
        case .smoothingTime: "smoothing_ms"
        case .outputGain: "output_gain_db"
        case .enabled: "enabled"
        case .correctionLimit: "correction_limit_db"
        case .loudnessMatch: "loudness_match"
        }
    }

    /// Human-readable name (plugin parameter names, studio labels, tables).
    public var name: String {
        switch self {
        case .term: "Word"
        case .secondTerm: "Second word"
        case .blend: "Blend to second word"
        case .intensity: "Intensity"
        case .mode: "Mode"
        case .analysisInterval: "Analysis interval"
        case .smoothingTime: "Smoothing time"
        case .outputGain: "Output gain"
        case .enabled: "Enabled"
        case .correctionLimit: "Correction limit"
        case .loudnessMatch: "Loudness match"
        }
    }

    /// The unit of the control's value.
    public var unit: ParameterUnit {
        switch self {
        case .analysisInterval, .smoothingTime: .milliseconds
        case .outputGain, .correctionLimit: .decibels
        default: .none
        }
    }

    /// Continuous, a vocabulary index, one of named options, or on/off.
    public var kind: Kind {
        switch self {
        case .term, .secondTerm: .vocabulary
        case .mode: .enumeration(EqualiserMode.wordModes.map(\.label))
        case .enabled, .loudnessMatch: .toggle
        default: .continuous
        }
    }

    /// Valid range (for vocabulary controls the upper bound is the vocabulary size − 1).
    public var range: ClosedRange<Float> {
        switch self {
        case .term, .secondTerm: 0...1023
        case .blend, .intensity: 0...1
        case .mode: 0...1
        case .analysisInterval: 5...1000
        case .smoothingTime: 0...2000
        case .outputGain: -24...12
        case .enabled, .loudnessMatch: 0...1
        case .correctionLimit: 0...24
        }
    }

    /// The value a fresh host, the CLI and the plugins start from.
    public var defaultValue: Float {
        switch self {
        case .term, .secondTerm, .blend, .mode: 0
        case .intensity: 0.7
        case .analysisInterval: 46.4  // 4 × 512 samples at 44.1 kHz
        case .smoothingTime: 100
        case .outputGain: 0
        case .enabled, .loudnessMatch: 1
        case .correctionLimit: 12
        }
    }

    /// One sentence for docs, tooltips and `--help`.
    public var summary: String {
        switch self {
        case .term: "The word to move the sound towards."
        case .secondTerm: "A second word to blend with the first."
        case .blend: "0 = first word only, 1 = second word only; in between mixes their colourations."
        case .intensity: "0 leaves the audio untouched (null), 1 moves it all the way to the word."
        case .mode: "adaptive listens to the audio and corrects its own colouration; static applies the word's fixed EQ."
        case .analysisInterval: "How often the audio is re-analysed."
        case .smoothingTime: "Time constant of EQ glides; gain moves in dB, frequency and Q in octaves."
        case .outputGain: "Gain after the equaliser."
        case .enabled: "Off bypasses the equaliser with a click-free crossfade."
        case .correctionLimit: "Adaptive mode: largest boost or cut (20 Hz–20 kHz) spent on undoing the audio's own colouration; the rest of it is kept."
        case .loudnessMatch: "Word modes: a gain that keeps the output as loud as the input (BS.1770), gliding like the EQ; manual EQ is never matched."
        }
    }
}
