import AdaptiveEQ
import AdaptiveEQResources
import EQInference
import Foundation

/// Loads the bundled model (or the one named by `--model`), with one-line errors.
func loadModel(path explicitPath: String? = nil) throws -> AdaptiveEQModel {
    guard let path = explicitPath ?? BundledResources.modelPath else {
        throw CLIError("the bundled model is missing (resource bundle not found beside the executable); pass --model FILE")
    }
    do { return try AdaptiveEQModel(path: path) } catch { throw CLIError("model '\(path)': \(error.description)") }
}

/// The words `process` offers, exactly as the plugin and the live client load them: the
/// model's vocabulary, static mode using each word's SAFE-DB setting where there is one.
func loadVocabulary(modelPath: String?) throws -> Vocabulary {
    Vocabulary(staticTerms: try loadStaticTerms(), model: try loadModel(path: modelPath))
}

extension Vocabulary {
    /// Index of `word`, or an error suggesting the nearest words.
    func termIndex(_ word: String) throws -> Int {
        if let i = index(of: word) { return i }
        let near = suggestions(for: word).joined(separator: ", ")
        throw CLIError("unknown word '\(word)'; nearest known words: \(near) (adaptive-eq terms lists all)")
    }
}

extension AdaptiveEQModel {
    /// Index of `word` in the model's vocabulary, or an error suggesting the nearest words.
    func termIndex(_ word: String) throws -> Int {
        if let i = terms.index(of: word) { return i }
        let near = nearestWords(to: word, in: terms.names, limit: 3).joined(separator: ", ")
        throw CLIError("unknown word '\(word)'; nearest known words: \(near) (adaptive-eq terms lists all)")
    }
}

/// The bundled open vocabulary (every English word), or nil when it is not shipped or was
/// built for another model (its latents only mean something to the decoder it was built with:
/// its learnt rows must be `model`'s term table).
func loadOpenVocabulary(for model: AdaptiveEQModel) throws -> OpenVocabulary? {
    guard let path = BundledResources.vocabularyPath else { return nil }
    let vocabulary: OpenVocabulary
    do { vocabulary = try OpenVocabulary(path: path) } catch { throw CLIError("vocabulary '\(path)': \(error.description)") }
    return vocabulary.matches(model) ? vocabulary : nil
}

/// What a phrase means and the model that carries it as a term row.
struct ResolvedTarget {
    var model: AdaptiveEQModel
    var term: Int
    var answer: WordAnswer
}

extension AdaptiveEQModel {
    /// Resolves `phrase` (a learnt word as given needs no vocabulary file; anything else
    /// loads it) and returns a model whose term table holds the target.
    func resolve(_ phrase: String, vocabulary: inout OpenVocabulary??) throws -> ResolvedTarget {
        if let i = terms.index(of: phrase), vocabulary == nil {
            let s = terms.supportCounts(at: i)
            let answer = WordAnswer(phrase: phrase, word: terms.names[i],
                                    latent: Array(UnsafeBufferPointer(start: terms.latent(at: i), count: latentCount)),
                                    away: false, intensityScale: 1,
                                    source: .learnt(safeRows: Int(s.safeRows), contributors: Int(s.audealizeContributors),
                                                    agreement: s.audealizeAgreement), nearestLearnt: [])
            return ResolvedTarget(model: self, term: i, answer: answer)
        }
        if vocabulary == nil { vocabulary = .some(try loadOpenVocabulary(for: self)) }
        let answer: WordAnswer
        do { answer = try lookUpWord(phrase, terms: terms, vocabulary: vocabulary!) } catch { throw CLIError(error.description) }
        if case .learnt = answer.source, !answer.away, let i = terms.index(of: answer.word) {
            return ResolvedTarget(model: self, term: i, answer: answer)
        }
        let extended = appendingTerm(answer.phrase, latent: answer.latent)
        return ResolvedTarget(model: extended, term: extended.terms.count - 1, answer: answer)
    }
}
