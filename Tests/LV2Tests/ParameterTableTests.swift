import AdaptiveEQ
import AdaptiveEQLV2
import EQDSP
import Foundation
import Testing

/// The parameter table (`EQParameter`, `ControlParameter`, `EqualiserMode`) is the one source
/// of every front end's parameters: the plugin's TTL, `adaptive-eq process` flags and help,
/// and `adaptive-eq parameters --json` must all say what the table says. (The README's table
/// is checked against `adaptive-eq parameters` in the CLI tests.)
@Suite struct ParameterTableTests {
    /// The TTL block of the port with `symbol` in the stereo plugin.
    func portBlock(_ ttl: String, symbol: String) throws -> String {
        let plugin = try #require(ttl.range(of: "<\(PluginVariant.stereo.uri)>"))
        let rest = ttl[plugin.upperBound...]
        let at = try #require(rest.range(of: "lv2:symbol \"\(symbol)\""), "no port \(symbol)")
        let start = rest[..<at.lowerBound].range(of: "[", options: .backwards)!.lowerBound
        let end = rest[at.upperBound...].range(of: "\n    ]")!.lowerBound
        return String(rest[start..<end])
    }

    @Test func pluginPortsFollowTheTable() throws {
        let words = try staticTerms().terms.map(\.word)
        let ttl = PluginTTL.plugins(vocabulary: words)
        func expectRange(_ symbol: String, _ low: Float, _ high: Float, _ def: Float?) throws {
            let block = try portBlock(ttl, symbol: symbol)
            #expect(block.contains("lv2:minimum \(PluginTTL.number(low))"), "\(symbol) minimum")
            #expect(block.contains("lv2:maximum \(PluginTTL.number(high))"), "\(symbol) maximum")
            if let def { #expect(block.contains("lv2:default \(PluginTTL.number(def))"), "\(symbol) default") }
        }
        for p in EQParameter.allCases {
            try expectRange(p.symbol, p.range.lowerBound, p.range.upperBound, p.defaultValue)
        }
        for p in ControlParameter.allCases {
            switch p.kind {
            case .continuous, .toggle:
                try expectRange(p.symbol, p.range.lowerBound, p.range.upperBound, p.defaultValue)
            case .vocabulary:
                try expectRange(p.symbol, 0, Float(words.count - 1), nil)
            case .enumeration(let options):
                // The plugin's mode port also offers manual mode, after the table's options.
                let block = try portBlock(ttl, symbol: p.symbol)
                let labels = EqualiserMode.allCases.map(\.label)
                #expect(Array(labels.prefix(options.count)) == options)
                for (value, label) in labels.enumerated() {
                    #expect(block.contains("rdfs:label \"\(label)\" ; rdf:value \(value)"), "mode \(label)")
                }
            }
        }
    }

    @Test func processFlagsFollowTheTable() throws {
        let r = try run(cliPath, ["process", "--help"])
        try #require(r.status == 0, "\(r.stderr)")
        let help = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for p in ControlParameter.allCases where p != .enabled {
            let flag = "--" + p.symbol.replacingOccurrences(of: "_", with: "-")
            #expect(help.contains(flag), "process --help lacks \(flag)")
            if case .continuous = p.kind {
                let unit = p.unit == .none ? "" : " \(p.unit.rawValue)"
                #expect(help.contains("\(text(p.range.lowerBound)) … \(text(p.range.upperBound))\(unit)"), "\(flag) range")
            }
        }
        for p in EQParameter.allCases {
            #expect(help.contains("\(p.symbol) \(text(p.range.lowerBound))…\(text(p.range.upperBound)) \(p.unit.rawValue)"),
                    "--eq help lacks \(p.symbol)'s range")
        }
    }

    @Test func parametersJSONIsTheTable() throws {
        let r = try run(cliPath, ["parameters", "--json"])
        try #require(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let eq = try #require(json["eq"] as? [[String: Any]])
        let controls = try #require(json["controls"] as? [[String: Any]])
        #expect(eq.count == EQParameter.allCases.count && controls.count == ControlParameter.allCases.count)
        for (p, item) in zip(EQParameter.allCases, eq) {
            #expect(item["symbol"] as? String == p.symbol && item["unit"] as? String == p.unit.rawValue)
            #expect(float(item["minimum"]) == p.range.lowerBound, "\(p.symbol) minimum")
            #expect(float(item["maximum"]) == p.range.upperBound, "\(p.symbol) maximum")
            #expect(float(item["default"]) == p.defaultValue, "\(p.symbol) default")
        }
        for (p, item) in zip(ControlParameter.allCases, controls) {
            #expect(item["symbol"] as? String == p.symbol && item["unit"] as? String == p.unit.rawValue)
            #expect(float(item["minimum"]) == p.range.lowerBound, "\(p.symbol) minimum")
            #expect(float(item["maximum"]) == p.range.upperBound, "\(p.symbol) maximum")
            #expect(float(item["default"]) == p.defaultValue, "\(p.symbol) default")
        }
    }

    /// A JSON number as the Float the table holds (JSON prints Floats in shortest form).
    func float(_ value: Any?) -> Float? { (value as? Double).map(Float.init) }

    func text(_ v: Float) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%g", v) }
}
