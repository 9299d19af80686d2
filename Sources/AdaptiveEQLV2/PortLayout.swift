import AdaptiveEQ
import EQDSP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
/// EQ inputs, the 13 target-EQ outputs, the latency output, the loudness-gain output, the 13
/// correction-EQ outputs, then the applied response at `PortLayout.responseBandCount` octave
/// centres (later additions come last, so earlier indices never move).
///
/// The read-outs are `HostEqualiser.applied`: the audio goes through the target EQ, then the
/// inverse of the correction EQ, then the loudness gain; the response ports give the result.
public enum PortRole: Equatable, Sendable {
    case audioInput(channel: Int)
    case audioOutput(channel: Int)
    case control(ControlParameter)
    case manualEQ(EQParameter)
    case targetEQ(EQParameter)
    case latency
    case loudnessGain
    case correctionEQ(EQParameter)
    /// The applied response at octave band `index` (`PortLayout.responseFrequencyHz`).
    case appliedResponse(band: Int)
}

/// Port indices for a variant. Pure arithmetic, so the render path can use it freely.
public struct PortLayout: Sendable {
    public let channelCount: Int

    public static let controlCount = ControlParameter.allCases.count
    public static let eqCount = EQParameter.allCases.count

    public init(channelCount: Int) { self.channelCount = channelCount }

    public var firstControl: Int { 2 * channelCount }
    public var firstManual: Int { firstControl + Self.controlCount }
    public var firstTarget: Int { firstManual + Self.eqCount }
    public var latency: Int { firstTarget + Self.eqCount }
    public var loudnessGain: Int { latency + 1 }
    public var firstCorrection: Int { loudnessGain + 1 }
    public var firstResponse: Int { firstCorrection + Self.eqCount }
    public var portCount: Int { firstResponse + Self.responseBandCount }

    /// Octave bands of the applied-response read-out: 31.25 Hz … 16 kHz.
    public static let responseBandCount = 10
    /// Range of the response read-outs (the target and the correction add up).
    public static let responseLimitDecibels: Float = 36
    /// The response read-outs are re-evaluated after this many frames (≈46 ms at 44.1 kHz,
    /// the engine's analysis interval): an EQ display does not need more, and evaluating ten
    /// filters at ten frequencies in every host block would cost more than the EQ itself.
    public static let responseUpdateFrames = 2048
    /// Centre of response band `index`: 1 kHz · 2^(index − 5). Arithmetic, for the render path.
    public static func responseFrequencyHz(_ index: Int) -> Double { 1000 * exp2(Double(index - 5)) }

    public func index(of role: PortRole) -> Int {
        switch role {
        case let .audioInput(c): c
        case let .audioOutput(c): channelCount + c
        case let .control(p): firstControl + p.rawValue
        case let .manualEQ(p): firstManual + p.rawValue
        case let .targetEQ(p): firstTarget + p.rawValue
        case .latency: latency
        case .loudnessGain: loudnessGain
        case let .correctionEQ(p): firstCorrection + p.rawValue
        case let .appliedResponse(band): firstResponse + band
        }
    }

    /// The role of port `index`, or nil past the last port.
    public func role(at index: Int) -> PortRole? {
        switch index {
        case 0..<channelCount: .audioInput(channel: index)
        case channelCount..<firstControl: .audioOutput(channel: index - channelCount)
        case firstControl..<firstManual: ControlParameter(rawValue: index - firstControl).map(PortRole.control)
        case firstManual..<firstTarget: EQParameter(rawValue: index - firstManual).map(PortRole.manualEQ)
        case firstTarget..<latency: EQParameter(rawValue: index - firstTarget).map(PortRole.targetEQ)
        case latency: .latency
        case loudnessGain: .loudnessGain
        case firstCorrection..<firstResponse: EQParameter(rawValue: index - firstCorrection).map(PortRole.correctionEQ)
        case firstResponse..<portCount: .appliedResponse(band: index - firstResponse)
        default: nil
        }
    }
}

extension EQParameter {
    /// Port symbol of the target-EQ output for this parameter (`target_g1`, …).
    public var targetSymbol: String { "target_\(symbol)" }
    /// Port symbol of the correction-EQ output for this parameter (`correction_g1`, …).
    public var correctionSymbol: String { "correction_\(symbol)" }
}

extension PortLayout {
    /// Port symbol of response band `index`: `response_31hz` … `response_16khz`.
    public static func responseSymbol(_ index: Int) -> String {
        let f = responseFrequencyHz(index)
        return f >= 1000 ? "response_\(Int(f / 1000))khz" : "response_\(Int(f))hz"
    }
}
