import EQDSP
import EQInference

/// The words a host offers and what each means: the model's vocabulary when a model is
/// loaded (static mode then uses the SAFE-DB setting of words the static table has, and the
/// model's decoded EQ for the others), else the static table.
public struct HostVocabulary: Sendable {
    public let words: [String]
    /// The fixed EQ of each word at intensity 1 (static mode).
    public let settings: [EQSettings]
    public let model: AdaptiveEQModel?

    public init(staticTerms: StaticTermTable, model: AdaptiveEQModel? = nil) {
        self.model = model
        guard let model else {
            words = staticTerms.terms.map(\.word)
            settings = staticTerms.terms.map(\.settings)
            return
        }
        words = model.terms.names
        let decoder = EQDecoder(weights: model.decoder)
        let parameters = UnsafeMutablePointer<Float>.allocate(capacity: EQSettings.parameterCount)
        defer { parameters.deallocate() }
        settings = model.terms.names.enumerated().map { index, word in
            if let known = staticTerms.term(word) { return known.settings }
            decoder.decode(model.terms.latent(at: index), into: parameters)
            return EQSettings { parameters[$0.rawValue] }.clamped
        }
    }

    /// Index of `word` (case-insensitive, surrounding spaces ignored), or nil if unknown.
    public func index(of word: String) -> Int? {
        let key = String(word.lowercased().trimmingSpaces)
        return words.firstIndex { $0.lowercased() == key }
    }

    /// Known words closest in spelling to `word`, best first (for "did you mean" messages).
    public func suggestions(for word: String, limit: Int = 3) -> [String] {
        nearestWords(to: word, in: words, limit: limit)
    }
}
