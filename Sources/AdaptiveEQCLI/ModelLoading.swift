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
