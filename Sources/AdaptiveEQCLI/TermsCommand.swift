import AdaptiveEQ
import ArgumentParser
import EQDSP
import EQInference
import Foundation

struct TermsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terms",
        abstract: "List the words the equaliser knows, with their support and EQ settings.",
        discussion: """
            By default lists the adaptive model's vocabulary: for each word the SAFE-DB rows and
            Audealize contributors/agreement behind it, and the EQ of its colouration (the
            decoder applied to the word's latent). --static lists the SAFE-DB table that
            `--mode static` uses.
            """)

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(name: .customLong("static"), help: "List the static (SAFE-DB) table instead of the model's vocabulary.")
    var staticTable = false

    @Option(help: "Model file to use instead of the bundled one.")
    var model: String?

    struct Row {
        var word: String
        var safeRows: Int
        var contributors: Int
        var agreement: Float?
        var settings: EQSettings
    }

    func run() throws {
        let rows: [Row]
        let source: String
        if staticTable {
            rows = try loadStaticTerms().terms.map {
                Row(word: $0.word, safeRows: $0.rowCount, contributors: $0.contributorCount, agreement: nil, settings: $0.settings)
            }
            source = "SAFE-DB static table (rows = user settings behind each word, contributors = distinct users)"
        } else {
            let model = try loadModel(path: model)
            let decoder = EQDecoder(weights: model.decoder)
            var params = [Float](repeating: 0, count: EQSettings.parameterCount)
            rows = (0..<model.terms.count).map { i in
                decoder.decode(model.terms.latent(at: i), into: &params)
                let s = model.terms.supportCounts(at: i)
                return Row(word: model.terms.names[i], safeRows: Int(s.safeRows), contributors: Int(s.audealizeContributors),
                           agreement: s.audealizeContributors > 0 ? s.audealizeAgreement : nil,
                           settings: EQSettings(values: params)!)
            }
            source = "model vocabulary (safe = SAFE-DB rows, audealize = Audealize contributors and agreement)"
        }
        if json {
            let items: [[String: Any]] = rows.map { r in
                var eq: [String: Float] = [:]
                for p in EQParameter.allCases { eq[p.symbol] = r.settings[p] }
                var item: [String: Any] = ["word": r.word, "eq": eq, "parameters": r.settings.values]
                if staticTable {
                    item["rows"] = r.safeRows
                    item["contributors"] = r.contributors
                } else {
                    item["safe_rows"] = r.safeRows
                    item["audealize_contributors"] = r.contributors
                    if let a = r.agreement { item["audealize_agreement"] = a }
                }
                return item
            }
            let data = try JSONSerialization.data(withJSONObject: ["source": source, "terms": items],
                                                  options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let support = staticTable ? ["rows", "users"] : ["safe", "audealize"]
        let header = ["word"] + support + EQParameter.allCases.map(\.symbol)
        let widths = [14, 10, 10] + [Int](repeating: 8, count: EQSettings.parameterCount)
        print(zip(header, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined())
        for r in rows {
            let second = staticTable ? String(r.contributors)
                : (r.agreement.map { String(format: "%d/%.2f", r.contributors, $0) } ?? "—")
            let cells = [r.word.padding(toLength: 14, withPad: " ", startingAt: 0),
                         String(r.safeRows).padding(toLength: 10, withPad: " ", startingAt: 0),
                         second.padding(toLength: 10, withPad: " ", startingAt: 0)]
                + r.settings.values.map { String(format: "%-8.4g", $0) }
            print(cells.joined())
        }
        print("\(rows.count) words: \(source)")
    }
}
