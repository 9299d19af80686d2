import AdaptiveEQ
import EQDSP

/// The plugin's variants: one URI each, same controls, different audio channel count.
public enum PluginVariant: Int, CaseIterable, Sendable {
    case stereo = 0, mono = 1

    /// Plugin URI (a `urn:` under the project's own name, so it claims no one's domain).
    public var uri: StaticString {
        switch self {
        case .stereo: "urn:adaptive-eq:stereo"
        case .mono: "urn:adaptive-eq:mono"
        }
    }

    public var channelCount: Int { self == .stereo ? 2 : 1 }

    public var displayName: String { self == .stereo ? "AdaptiveEQ" : "AdaptiveEQ Mono" }

    public var layout: PortLayout { PortLayout(channelCount: channelCount) }
}

/// What a port is. Ports are generated from the parameter tables (`ControlParameter`,
/// `EQParameter`) in this order: audio inputs, audio outputs, the controls, the 13 manual
/// EQ inputs, the 13 applied-EQ outputs, the latency output, then the loudness-gain output.
public enum PortRole: Equatable, Sendable {
    case audioInput(channel: Int)
    case audioOutput(channel: Int)
    case control(ControlParameter)
    case manualEQ(EQParameter)
    case appliedEQ(EQParameter)
    case latency
    case loudnessGain
}

/// Port indices for a variant. Pure arithmetic, so the render path can use it freely.
public struct PortLayout: Sendable {
    public let channelCount: Int

    public static let controlCount = ControlParameter.allCases.count
    public static let eqCount = EQParameter.allCases.count

    public init(channelCount: Int) { self.channelCount = channelCount }

    public var firstControl: Int { 2 * channelCount }
    public var firstManual: Int { firstControl + Self.controlCount }
    public var firstApplied: Int { firstManual + Self.eqCount }
    public var latency: Int { firstApplied + Self.eqCount }
    public var loudnessGain: Int { latency + 1 }
    public var portCount: Int { loudnessGain + 1 }

    public func index(of role: PortRole) -> Int {
        switch role {
        case let .audioInput(c): c
        case let .audioOutput(c): channelCount + c
        case let .control(p): firstControl + p.rawValue
        case let .manualEQ(p): firstManual + p.rawValue
        case let .appliedEQ(p): firstApplied + p.rawValue
        case .latency: latency
        case .loudnessGain: loudnessGain
        }
    }

    /// The role of port `index`, or nil past the last port.
    public func role(at index: Int) -> PortRole? {
        switch index {
        case 0..<channelCount: .audioInput(channel: index)
        case channelCount..<firstControl: .audioOutput(channel: index - channelCount)
        case firstControl..<firstManual: ControlParameter(rawValue: index - firstControl).map(PortRole.control)
        case firstManual..<firstApplied: EQParameter(rawValue: index - firstManual).map(PortRole.manualEQ)
        case firstApplied..<latency: EQParameter(rawValue: index - firstApplied).map(PortRole.appliedEQ)
        case latency: .latency
        case loudnessGain: .loudnessGain
        default: nil
        }
    }
}

extension EQParameter {
    /// Port symbol of the applied-EQ output for this parameter (`applied_g1`, …).
    public var appliedSymbol: String { "applied_\(symbol)" }
}
