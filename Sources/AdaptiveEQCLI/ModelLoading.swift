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

extension AdaptiveEQModel {
    /// Index of `word` in the vocabulary, or an error suggesting the nearest words.
    func termIndex(_ word: String) throws -> Int {
        if let i = terms.index(of: word) { return i }
        let near = nearestWords(to: word, in: terms.names, limit: 3).joined(separator: ", ")
        throw CLIError("unknown word '\(word)'; nearest known words: \(near) (adaptive-eq terms lists all)")
    }
}
