import AdaptiveEQ
import EQDSP

/// Turtle descriptions of the bundle, generated from the parameter tables and the shipped
/// vocabulary, so the ports hosts see are exactly the ones the binary reads.
public enum PluginTTL {
    /// File name of the plugin description inside the bundle.
    public static let pluginFileName = "adaptive-eq.ttl"

    static let prefixes = """
        @prefix doap:   <http://usefulinc.com/ns/doap#> .
        @prefix lv2:    <http://lv2plug.in/ns/lv2core#> .
        @prefix pprops: <http://lv2plug.in/ns/ext/port-props#> .
        @prefix rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
        @prefix rdfs:   <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix units:  <http://lv2plug.in/ns/extensions/units#> .

        """

    /// `manifest.ttl`: every variant, with the binary and the description file.
    public static func manifest(binary: String) -> String {
        var out = prefixes
        for v in PluginVariant.allCases {
            out += "\n<\(v.uri)>\n    a lv2:Plugin ;\n    lv2:binary <\(binary)> ;\n    rdfs:seeAlso <\(pluginFileName)> .\n"
        }
        return out
    }

    /// The word a new instance starts on: "warm" when the vocabulary has it.
    public static func defaultTerm(_ words: [String]) -> Int { words.firstIndex(of: "warm") ?? 0 }
    /// The second word a new instance offers for blending: "bright" when present.
    public static func defaultSecondTerm(_ words: [String]) -> Int { words.firstIndex(of: "bright") ?? 0 }

    /// One port's description, independent of the Turtle syntax (also used for the docs).
    public struct PortInfo {
        public var index: Int
        public var symbol: String
        public var name: String
        public var isInput: Bool
        public var isAudio: Bool
        public var minimum: Float = 0
        public var maximum: Float = 0
        public var defaultValue: Float = 0
        public var unit: String = ""
        public var comment: String
        public var properties: [String] = []
        public var designation: String?
        public var scalePoints: [(String, Int)] = []
    }

    /// Every port of `variant`, in index order.
    public static func ports(_ variant: PluginVariant, vocabulary words: [String]) -> [PortInfo] {
        let layout = variant.layout
        let lastWord = Float(max(words.count - 1, 0))
        return (0..<layout.portCount).compactMap { index -> PortInfo? in
            guard let role = layout.role(at: index) else { return nil }
            let side = variant == .mono ? ["", ""] : ["left", "right"]
            func channelName(_ c: Int) -> String { side[c].isEmpty ? "" : " \(side[c])" }
            func channelSymbol(_ c: Int) -> String { variant == .mono ? "" : (c == 0 ? "_l" : "_r") }
            // One of the 13 EQ parameters as a port (manual input, target or correction read-out):
            // its range, default and unit; frequencies and Qs on a log scale.
            func eqPort(_ p: EQParameter, symbol: String, name: String, isInput: Bool, comment: String) -> PortInfo {
                var info = PortInfo(index: index, symbol: symbol, name: name + " " + p.name.lowercasedFirst,
                                    isInput: isInput, isAudio: false, minimum: p.range.lowerBound,
                                    maximum: p.range.upperBound, defaultValue: p.defaultValue, unit: p.unit.rawValue,
                                    comment: comment)
                if p.unit != .decibels { info.properties = ["pprops:logarithmic"] }
                return info
            }
            switch role {
            case let .audioInput(c):
                return PortInfo(index: index, symbol: "in" + channelSymbol(c), name: "In" + channelName(c),
                                isInput: true, isAudio: true, comment: "Audio input.")
            case let .audioOutput(c):
                return PortInfo(index: index, symbol: "out" + channelSymbol(c), name: "Out" + channelName(c),
                                isInput: false, isAudio: true, comment: "Equalised audio.")
            case let .control(p):
                var info = PortInfo(index: index, symbol: p.symbol, name: p.name, isInput: true, isAudio: false,
                                    minimum: p.range.lowerBound, maximum: p.range.upperBound,
                                    defaultValue: p.defaultValue, unit: p.unit.rawValue, comment: p.summary)
                switch p.kind {
                case .vocabulary:
                    info.maximum = lastWord
                    info.defaultValue = Float(p == .term ? defaultTerm(words) : defaultSecondTerm(words))
                    info.properties = ["lv2:integer", "lv2:enumeration"]
                    info.scalePoints = words.enumerated().map { ($1, $0) }
                case .enumeration:
                    info.minimum = 0
                    info.maximum = Float(EqualiserMode.allCases.count - 1)
                    info.properties = ["lv2:integer", "lv2:enumeration"]
                    info.scalePoints = EqualiserMode.allCases.map { ($0.label, $0.rawValue) }
                    info.comment += " In manual mode the 13 manual EQ controls apply."
                case .toggle:
                    info.properties = ["lv2:integer", "lv2:toggled"]
                    if p == .enabled { info.designation = "lv2:enabled" }
                case .continuous:
                    // A log scale needs a positive minimum; smoothing may be 0 (jump).
                    if p.unit == .milliseconds && p.range.lowerBound > 0 { info.properties = ["pprops:logarithmic"] }
                }
                return info
            case let .manualEQ(p):
                return eqPort(p, symbol: p.symbol, name: "Manual", isInput: true, comment: "\(p.name) used in manual mode.")
            case let .targetEQ(p):
                return eqPort(p, symbol: p.targetSymbol, name: "Target", isInput: false,
                              comment: "\(p.name) of the EQ the audio is moved to now (adaptive mode; the whole "
                                  + "EQ in static and manual modes); read-only.")
            case .latency:
                return PortInfo(index: index, symbol: "latency", name: "Latency", isInput: false, isAudio: false,
                                minimum: 0, maximum: 0, defaultValue: 0, unit: "samples",
                                comment: "Added latency in samples: always 0.",
                                properties: ["lv2:reportsLatency", "lv2:integer"], designation: "lv2:latency")
            case .loudnessGain:
                let p = ControlParameter.loudnessMatch
                return PortInfo(index: index, symbol: "loudness_gain_db", name: "Loudness gain", isInput: false,
                                isAudio: false, minimum: -LoudnessMatch.maximumDecibels,
                                maximum: LoudnessMatch.maximumDecibels, defaultValue: 0, unit: "dB",
                                comment: "Gain \(p.symbol) is applying now (read-only).")
            case let .correctionEQ(p):
                return eqPort(p, symbol: p.correctionSymbol, name: "Correction", isInput: false,
                              comment: "\(p.name) of the share of the audio's own colouration being undone "
                                  + "(adaptive mode; applied inverted after the target EQ; flat otherwise); read-only.")
            case let .appliedResponse(band):
                let f = PortLayout.responseFrequencyHz(band)
                let label = f >= 1000 ? "\(Int(f / 1000)) kHz" : "\(Int(f)) Hz"
                return PortInfo(index: index, symbol: PortLayout.responseSymbol(band), name: "Response at " + label,
                                isInput: false, isAudio: false, minimum: -PortLayout.responseLimitDecibels,
                                maximum: PortLayout.responseLimitDecibels, defaultValue: 0, unit: "dB",
                                comment: "Response the audio goes through at \(label) (target EQ, inverse of the "
                                    + "correction EQ, reference detail; without the loudness gain); read-only, "
                                    + "updated every \(PortLayout.responseUpdateFrames) frames.")
            }
        }
    }

    /// The plugin description (`adaptive-eq.ttl`) for all variants.
    public static func plugins(vocabulary words: [String]) -> String {
        var out = prefixes
        for variant in PluginVariant.allCases {
            out += "\n<\(variant.uri)>\n"
            out += "    a lv2:Plugin, lv2:ParaEQPlugin ;\n"
            out += "    doap:name \(quoted(variant.displayName)) ;\n"
            out += "    rdfs:comment \(quoted("Adaptive semantic equaliser: pick a word and an intensity; a 5-band EQ moves the sound towards it. \(variant == .mono ? "Mono" : "Stereo") in/out, zero latency.")) ;\n"
            out += "    lv2:minorVersion 1 ;\n    lv2:microVersion 0 ;\n"
            out += "    lv2:optionalFeature lv2:hardRTCapable ;\n"
            let ports = ports(variant, vocabulary: words)
            for (n, port) in ports.enumerated() {
                out += n == 0 ? "    lv2:port [\n" : "    ] , [\n"
                out += describe(port)
            }
            out += "    ] .\n"
        }
        return out
    }

    static func describe(_ p: PortInfo) -> String {
        var lines: [String] = []
        lines.append("a lv2:\(p.isInput ? "InputPort" : "OutputPort"), lv2:\(p.isAudio ? "AudioPort" : "ControlPort")")
        lines.append("lv2:index \(p.index)")
        lines.append("lv2:symbol \(quoted(p.symbol))")
        lines.append("lv2:name \(quoted(p.name))")
        lines.append("rdfs:comment \(quoted(p.comment))")
        if let designation = p.designation { lines.append("lv2:designation \(designation)") }
        if !p.isAudio {
            lines.append("lv2:default \(number(p.defaultValue))")
            lines.append("lv2:minimum \(number(p.minimum))")
            lines.append("lv2:maximum \(number(p.maximum))")
        }
        if !p.properties.isEmpty { lines.append("lv2:portProperty \(p.properties.joined(separator: ", "))") }
        switch p.unit {
        case "dB": lines.append("units:unit units:db")
        case "Hz": lines.append("units:unit units:hz")
        case "ms": lines.append("units:unit units:ms")
        default: break
        }
        if !p.scalePoints.isEmpty {
            let points = p.scalePoints.map { "[ rdfs:label \(quoted($0.0)) ; rdf:value \($0.1) ]" }
            lines.append("lv2:scalePoint " + points.joined(separator: " ,\n            "))
        }
        return lines.map { "        " + $0 }.joined(separator: " ;\n") + " ;\n"
    }

    /// A Turtle number literal (always with a decimal point, so it reads as a decimal).
    public static func number(_ v: Float) -> String {
        if v == v.rounded() && abs(v) < 1e7 { return "\(Int(v)).0" }
        return "\(v)"
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out + "\""
    }

    /// A Markdown table of the stereo variant's ports (the docs embed it).
    public static func markdownPortTable(vocabulary words: [String]) -> String {
        var out = "| index | symbol | direction | name | range | default | unit | meaning |\n"
        out += "|---:|---|---|---|---|---|---|---|\n"
        for p in ports(.stereo, vocabulary: words) {
            let kind = "\(p.isInput ? "in" : "out"), \(p.isAudio ? "audio" : "control")"
            var range = p.isAudio ? "" : "\(trim(p.minimum)) … \(trim(p.maximum))"
            var def = p.isAudio ? "" : trim(p.defaultValue)
            if !p.scalePoints.isEmpty {
                range = p.scalePoints.count > 6
                    ? "\(p.scalePoints.count) words (\(p.scalePoints.prefix(3).map { "\($0.1) = \($0.0)" }.joined(separator: ", ")), …)"
                    : p.scalePoints.map { "\($0.1) = \($0.0)" }.joined(separator: ", ")
                if let name = p.scalePoints.first(where: { Float($0.1) == p.defaultValue })?.0 { def += " (\(name))" }
            }
            if let d = p.designation { range += range.isEmpty ? d : "; \(d)" }
            out += "| \(p.index) | `\(p.symbol)` | \(kind) | \(p.name) | \(range) | \(def) | \(p.unit) | \(p.comment) |\n"
        }
        return out
    }

    static func trim(_ v: Float) -> String {
        v == v.rounded() && abs(v) < 1e7 ? "\(Int(v))" : "\(v)"
    }
}

extension String {
    var lowercasedFirst: String { prefix(1).lowercased() + dropFirst() }
}
