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

    /// The modes that follow words (`ControlParameter.mode`'s options, in order).
    public static let wordModes: [EqualiserMode] = [.adaptive, .static]

    /// Label shown by hosts and accepted by the live client.
    public var label: String {
        switch self {
        case .adaptive: "adaptive"
        case .static: "static"
        case .manual: "manual"
        }
    }
}
