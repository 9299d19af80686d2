import AdaptiveEQ
import AdaptiveEQResources
import EQInference
import Testing

@Suite struct WordPhraseTests {
    @Test func modifiersSetDirectionAndIntensity() throws {
        let cases: [(String, String, Bool, Float)] = [
            ("warm", "warm", false, 1), ("  Warmer ", "warmer", false, 1), ("more air", "air", false, 1),
            ("less muddy", "muddy", true, 1), ("not harsh", "harsh", true, 1), ("no boom", "boom", true, 1),
            ("a bit bright", "bright", false, 0.5), ("very warm", "warm", false, 1.5),
            ("a little less boomy", "boomy", true, 0.5), ("much brighter", "brighter", false, 1.5),
            ("not not warm", "warm", false, 1), ("spine-tingling", "spine-tingling", false, 1),
        ]
        for (text, word, away, scale) in cases {
            let p = try #require(WordPhrase(text), "\(text)")
            #expect(p.word == word && p.away == away && p.intensityScale == scale, "\(text) → \(p)")
        }
    }

    @Test func nonWordsAreRejected() {
        for text in ["", "   ", "warm bright", "a bit", "123", "w@rm", "less muddy sound", "not", "very", "More", "not not"] {
            #expect(WordPhrase(text) == nil, "\(text)")
        }
    }

    @Test func derivedFormsReachTheirBase() {
        #expect(WordPhrase.candidates("warmer").contains("warm"))
        #expect(WordPhrase.candidates("muddier").contains("muddy"))
        #expect(WordPhrase.candidates("thinnest").contains("thin"))
        #expect(WordPhrase.candidates("warmth").contains("warm"))
        #expect(WordPhrase.candidates("brightness").contains("bright"))
        #expect(WordPhrase.candidates("air").contains("airy"))
        #expect(WordPhrase.candidates("mud").contains("muddy"))
        #expect(WordPhrase.candidates("warm").first == "warm")
    }
}

@Suite struct OpenVocabularyTests {
    static let model = try! AdaptiveEQModel(path: BundledResources.modelPath!)
    static let vocabulary = try! OpenVocabulary(path: BundledResources.vocabularyPath!)

    @Test func learntRowsAreTheTermTable() {
        let v = Self.vocabulary, terms = Self.model.terms
        #expect(v.learntCount == terms.count && v.count > 50_000)
        for i in 0..<terms.count {
            let row = v.row(of: terms.names[i])
            #expect(row == i && v.isLearnt(i))
            let z = v.latent(at: i), zt = terms.latent(at: i)
            // float16 storage: within half-precision rounding of the model's latent
            #expect((0..<terms.latentCount).allSatisfy { abs(z[$0] - zt[$0]) <= 2e-3 * max(1, abs(zt[$0])) })
            #expect(v.nearestLearnt(i).first == i)
        }
    }

    /// Every word finds its own row (learnt words by table, inferred ones by binary search), and
    /// every row's latent is the table's half floats widened.
    @Test func everyWordFindsItsRowAndLatent() throws {
        let v = Self.vocabulary
        for (i, w) in v.words.enumerated() where v.row(of: w) != i {
            Issue.record("'\(w)' found at \(v.row(of: w).map(String.init) ?? "nil"), not \(i)")
            return
        }
        for w in ["", "zzzzzz", "aa-", "warmx", "Warm", "a\u{301}"] { #expect(v.row(of: w) == nil, "\(w)") }
        let file = try SafetensorsFile(path: BundledResources.vocabularyPath!)
        let z = try file.halfFloats("vocab.z", shape: [v.count, v.latentCount])
        for r in stride(from: 0, to: v.count, by: 7) {
            #expect(v.latent(at: r) == Array(z[r * v.latentCount..<(r + 1) * v.latentCount]), "row \(r)")
        }
    }

    /// The word list is checked on load: non-empty, learnt words distinct, inferred words sorted
    /// by their bytes (which the search relies on), no word on two rows.
    @Test func wordListIsChecked() throws {
        func table(_ words: String, learnt: Int = 1) throws -> OpenVocabulary {
            let n = words.split(separator: "\n", omittingEmptySubsequences: false).count
            var data: [UInt8] = []
            var entries: [String] = []
            func add(_ name: String, _ dtype: String, _ shape: [Int], _ bytes: [UInt8]) {
                entries.append(#""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(data.count),\#(data.count + bytes.count)]}"#)
                data += bytes
            }
            add("vocab.z", "F16", [n, 1], [UInt8](repeating: 0, count: 2 * n))
            add("vocab.similarity", "F16", [n], [UInt8](repeating: 0, count: 2 * n))
            add("vocab.nearest", "F16", [n, 3], [UInt8](repeating: 0, count: 6 * n))
            add("vocab.support", "F32", [learnt, 3], [UInt8](repeating: 0, count: 12 * learnt))
            add("vocab.flat", "F32", [1], [0, 0, 0, 0])
            let escaped = words.replacingOccurrences(of: "\n", with: "\\n")
            let metadata = #""__metadata__":{"format":"adaptive-eq-vocabulary","latent":"1","learnt":"\#(learnt)","words":"\#(escaped)"}"#
            let header = "{" + ([metadata] + entries).joined(separator: ",") + "}"
            return try OpenVocabulary(file: SafetensorsFile(bytes: SafetensorsWriter.image(header: header, data: data)))
        }
        let ok = try table("warm\nbright\na\nab\nb", learnt: 2)
        #expect(ok.row(of: "warm") == 0 && ok.row(of: "bright") == 1 && ok.row(of: "a") == 2)
        #expect(ok.row(of: "ab") == 3 && ok.row(of: "b") == 4 && ok.row(of: "aa") == nil && ok.row(of: "c") == nil)
        let bad: [(String, Int, String)] = [
            ("warm\nb\na", 1, "sorted"), ("warm\na\na", 1, "sorted"), ("warm\nwarm\na", 2, "distinct"),
            ("warm\na\nwarm", 1, "one row"), ("warm\n\na", 1, "non-empty"), ("warm\na\n", 1, "non-empty"),
            ("warm\na", 3, "number of words"), ("warm\na", 0, "number of words"),
        ]
        for (words, learnt, mention) in bad {
            do {
                _ = try table(words, learnt: learnt)
                Issue.record("\(words.debugDescription) (learnt \(learnt)) loaded")
            } catch {
                #expect(String(describing: error).contains(mention), "\(words.debugDescription): \(error)")
            }
        }
    }

    @Test func everyListedWordAnswers() {
        let v = Self.vocabulary
        // Modifiers alone ("very", "not") name no sound and are refused, though listed.
        for w in v.words where !WordPhrase.modifierOnly.contains(w) {
            guard let p = WordPhrase(w), p.word == w, let row = v.row(of: w) else {
                Issue.record("'\(w)' does not answer"); return
            }
            #expect(v.nearestLearnt(row).allSatisfy { v.isLearnt($0) })
        }
    }

    @Test func comparativesAndNounsUseTheLearntWord() throws {
        for (phrase, word) in [("warmer", "warm"), ("more air", "airy"), ("muddier", "muddy"), ("brightness", "bright")] {
            let a = try lookUpWord(phrase, terms: Self.model.terms, vocabulary: Self.vocabulary)
            #expect(a.word == word && a.isLearnt, "\(phrase) → \(a.provenance)")
        }
    }

    @Test func awayMirrorsTheWordAboutFlat() throws {
        let muddy = try lookUpWord("muddy", terms: Self.model.terms, vocabulary: Self.vocabulary)
        let less = try lookUpWord("less muddy", terms: Self.model.terms, vocabulary: Self.vocabulary)
        let flat = Self.vocabulary.flatLatent
        #expect(less.away && less.word == "muddy")
        #expect(less.latent.indices.allSatisfy { abs(less.latent[$0] - (2 * flat[$0] - muddy.latent[$0])) < 1e-5 })
        #expect(less.provenance.contains("away from 'muddy'"))
    }

    @Test func inferredWordsSayWhatTheyRestOn() throws {
        let a = try lookUpWord("hollow", terms: Self.model.terms, vocabulary: Self.vocabulary)
        guard case .inferred = a.source else { Issue.record("hollow should be inferred"); return }
        #expect(a.nearestLearnt.count == OpenVocabulary.nearestCount)
        #expect(a.provenance.contains("inferred") && a.provenance.contains("nearest learnt words"))
        let warm = try lookUpWord("warm", terms: Self.model.terms, vocabulary: Self.vocabulary)
        #expect(warm.isVerbatimLearnt && warm.provenance.contains("learnt from people"))
    }

    @Test func nonWordsGetSuggestions() throws {
        // "brigth" is not in the word list; cutting its "-th" would reach the inferred "brig".
        for phrase in ["zzqxv", "warm bright", "w@rm", "brigth", "very"] {
            do {
                _ = try lookUpWord(phrase, terms: Self.model.terms, vocabulary: Self.vocabulary)
                Issue.record("accepted '\(phrase)'")
            } catch {
                #expect(error.suggestions.count == 3 && !error.description.contains("\n"), "\(error)")
                if phrase == "brigth" { #expect(error.suggestions.first == "bright", "\(error)") }
            }
        }
        // Derived forms still reach learnt words; inferred words through comparatives only
        // ("honkier" is not in the word list, "honky" is).
        #expect(try lookUpWord("warmth", terms: Self.model.terms, vocabulary: Self.vocabulary).word == "warm")
        #expect(try lookUpWord("brighter", terms: Self.model.terms, vocabulary: Self.vocabulary).word == "bright")
        #expect(try lookUpWord("hollower", terms: Self.model.terms, vocabulary: Self.vocabulary).word == "hollower")
        #expect(try lookUpWord("honkier", terms: Self.model.terms, vocabulary: Self.vocabulary).word == "honky")
    }

    @Test func appendedTermIsTheLastRow() {
        let z = [Float](repeating: 0.25, count: Self.model.latentCount)
        let m = Self.model.appendingTerm("hollow", latent: z)
        #expect(m.terms.count == Self.model.terms.count + 1 && m.terms.names.last == "hollow")
        #expect(m.terms.latent(at: m.terms.count - 1)[5] == 0.25)
        #expect(m.terms.latent(at: 0)[0] == Self.model.terms.latent(at: 0)[0])
    }
}
