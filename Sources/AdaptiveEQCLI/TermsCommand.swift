import AdaptiveEQ
import ArgumentParser
import EQDSP
import EQInference
import Foundation

struct TermsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terms",
        abstract: "List the words the equaliser knows, with their support and the EQ static mode applies.",
        discussion: """
            By default lists the vocabulary every front end uses: for each word the SAFE-DB
            rows and Audealize contributors behind it, where its meaning was learnt
            (safe-db, audealize or inferred), and the EQ `--mode static`, the plugin and the
            live client apply at intensity 1 — the word's SAFE-DB setting when SAFE-DB has
            one (source "safe"), else the decoder's EQ of the word's latent ("decoded").
            With --json each word also carries `parameters`: the decoded EQ of its latent.
            --static lists the SAFE-DB table alone.

            Given words or phrases, tells for each what it means instead: the word it was
            matched to, whether it was learnt from people (how many) or inferred from its
            meaning, its nearest learnt words and its EQ (docs/VOCABULARY.md), e.g.
              adaptive-eq terms hollow warmer "less muddy" "a bit bright"
            """)

    @Argument(help: "Words or short phrases to look up (default: list the vocabulary).")
    var phrases: [String] = []

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(name: .customLong("static"), help: "List the static (SAFE-DB) table instead of the vocabulary.")
    var staticTable = false

    @Flag(help: "List every learnt word, also those that describe no timbre or have too little support.")
    var all = false

    @Option(help: "Model file to use instead of the bundled one.")
    var model: String?

    func validate() throws {
        if staticTable && !phrases.isEmpty {
            throw CLIError("--static lists the whole SAFE-DB table; look words up without it (adaptive-eq terms \(phrases.joined(separator: " ")))")
        }
        if staticTable && all { throw CLIError("--all lists the vocabulary's learnt words; --static lists the SAFE-DB table: give one of them") }
    }

    func run() throws {
        if staticTable { return try printStaticTable() }
        if !phrases.isEmpty { return try lookUp() }
        let model = try loadModel(path: model)
        let vocabulary = Vocabulary(staticTerms: try loadStaticTerms(), model: model)
        let decoder = EQDecoder(weights: model.decoder)
        var decoded = [Float](repeating: 0, count: EQSettings.parameterCount)
        let open = try loadOpenVocabulary(for: model)
        func descriptive(_ i: Int) -> Bool { open.map { $0.isDescriptive(i) } ?? true }
        let listed = vocabulary.words.indices.filter { all || descriptive($0) }
        var source = "vocabulary (safe = SAFE-DB rows, audealize = Audealize contributors; EQ = what static mode applies)"
        if listed.count < vocabulary.words.count {
            source += "; \(vocabulary.words.count - listed.count) more learnt words describe no timbre or have too little support (--all lists them)"
        }
        if json {
            let items: [[String: Any]] = listed.map { i in
                let m = vocabulary.meaning(at: i)
                decoder.decode(model.terms.latent(at: i), into: &decoded)
                let s = model.terms.supportCounts(at: i)
                var item: [String: Any] = [
                    "word": m.word, "provenance": m.provenance.label,
                    "safe_rows": m.safeRows, "audealize_contributors": m.audealizeContributors,
                    "applied_parameters": m.settings.values, "applied_eq": symbols(m.settings),
                    "applied_source": m.settingsFromSAFEDB ? "safe" : "decoded",
                    "parameters": decoded, "eq": symbols(EQSettings(values: decoded)!),
                ]
                if s.audealizeContributors > 0 { item["audealize_agreement"] = s.audealizeAgreement }
                if open != nil { item["descriptive"] = descriptive(i) }
                return item
            }
            try printJSON(["source": source, "terms": items])
            return
        }
        printTable(header: ["word", "safe", "audealize", "learnt", "eq from"],
                   rows: listed.map { i in
                       let m = vocabulary.meaning(at: i)
                       return ([m.word, String(m.safeRows), String(m.audealizeContributors), m.provenance.label,
                                m.settingsFromSAFEDB ? "safe" : "decoded"], m.settings)
                   })
        print("\(listed.count) words: \(source)")
    }

    private func printStaticTable() throws {
        let table = try loadStaticTerms()
        let source = "SAFE-DB static table (rows = user settings behind each word, contributors = distinct users)"
        if json {
            let items: [[String: Any]] = table.terms.map {
                ["word": $0.word, "rows": $0.rowCount, "contributors": $0.contributorCount,
                 "parameters": $0.settings.values, "eq": symbols($0.settings)]
            }
            try printJSON(["source": source, "terms": items])
            return
        }
        printTable(header: ["word", "rows", "users"],
                   rows: table.terms.map { ([$0.word, String($0.rowCount), String($0.contributorCount)], $0.settings) })
        print("\(table.terms.count) words: \(source)")
    }

    /// One answer per phrase (provenance line and the decoded EQ of its target).
    private func lookUp() throws {
        let base = try loadModel(path: model)
        var open: OpenVocabulary?? = .some(try loadOpenVocabulary(for: base))
        let decoder = EQDecoder(weights: base.decoder)
        var params = [Float](repeating: 0, count: EQSettings.parameterCount)
        var items: [[String: Any]] = []
        for phrase in phrases {
            let answer = try base.resolve(phrase, vocabulary: &open).answer
            decoder.decode(answer.latent, into: &params)
            guard json else {
                print(answer.provenance)
                print("  EQ: " + params.map { String(format: "%.4g", $0) }.joined(separator: ","))
                continue
            }
            var item: [String: Any] = ["phrase": answer.phrase, "word": answer.word, "learnt": answer.isLearnt,
                                       "away": answer.away, "intensity_scale": answer.intensityScale,
                                       "nearest_learnt": answer.nearestLearnt, "parameters": params,
                                       "description": answer.provenance]
            switch answer.source {
            case let .learnt(rows, contributors, agreement):
                item["safe_rows"] = rows
                item["audealize_contributors"] = contributors
                item["audealize_agreement"] = agreement
            case let .inferred(closeness, trust):
                item["similarity_to_nearest_learnt"] = closeness
                if let trust { item["trust"] = trust }
            }
            items.append(item)
        }
        if json { try printJSON(["answers": items]) }
    }

    private func symbols(_ s: EQSettings) -> [String: Float] {
        Dictionary(uniqueKeysWithValues: EQParameter.allCases.map { ($0.symbol, s[$0]) })
    }

    private func printJSON(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Text columns, then the 13 EQ parameters.
    private func printTable(header: [String], rows: [([String], EQSettings)]) {
        let widths = [14] + [Int](repeating: 10, count: header.count - 1)
        func pad(_ cells: [String]) -> String { zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined() }
        print(pad(header) + EQParameter.allCases.map { $0.symbol.padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
        for (cells, settings) in rows {
            print(pad(cells) + settings.values.map { String(format: "%-8.4g", $0) }.joined())
        }
    }
}
