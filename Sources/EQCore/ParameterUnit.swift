/// The unit a parameter's value is in. The raw value is the label shown in tables, help
/// texts and plugin ports (empty for unitless values).
public enum ParameterUnit: String, Sendable, CaseIterable {
    /// Decibels (gains).
    case decibels = "dB"
    /// Hertz (frequencies).
    case hertz = "Hz"
    /// A filter's quality factor.
    case q = "Q"
    /// Milliseconds (time constants, intervals).
    case milliseconds = "ms"
    /// A ratio, index or choice without a unit.
    case none = ""
}

/// How a parameter moves when it is smoothed or blended: gains in decibels, frequencies and
/// Q in the log domain, so a sweep sounds even across the range.
public enum SmoothingDomain: Sendable, Equatable {
    /// Moves linearly in the value's own unit (gains in dB).
    case linear
    /// Moves linearly in log2 of the value, i.e. in octaves (frequencies, Q).
    case logarithmic
}
