import EQDSP
import EQInference

/// Where a word's meaning was learnt.
public enum WordProvenance: Sendable, Equatable {
    /// From SAFE-DB user settings (`rows` of them behind the word).
    case safeDB(rows: Int)
    /// From Audealize crowd ratings (`contributors` people, `agreement` 0…1).
    case audealize(contributors: Int, agreement: Float)
    /// No crowd data behind the word itself: placed by a model from related words.
    case inferred

    /// `safe-db`, `audealize` or `inferred`, as the CLI and the studio print it.
    public var label: String {
        switch self {
        case .safeDB: "safe-db"
        case .audealize: "audealize"
        case .inferred: "inferred"
        }
    }
}

/// Everything a front end needs to steer towards a word: what one `Vocabulary.lookup`
/// returns. `index` addresses the word in hosts' controls; the latent, intensity scale and
/// direction are the seam for meanings that are not rows of the table (open words,
/// phrases such as "slightly less bright").
public struct WordMeaning: Sendable, Equatable {
    /// The normalised word.
    public var word: String
    /// Row in the vocabulary (what `HostControls.term` holds); nil for a meaning that is not
    /// a row.
    public var index: Int?
    /// The fixed EQ static mode applies at intensity 1.
    public var settings: EQSettings
    /// Whether `settings` is the word's SAFE-DB setting (else the decoder's EQ of `latent`).
    public var settingsFromSAFEDB: Bool
    /// `z_target` in the model's latent space, when there is a model.
    public var latent: [Float]?
    /// Where the meaning was learnt.
    public var provenance: WordProvenance
    /// SAFE-DB rows behind the word (0 when inferred).
    public var safeRows: Int
    /// Audealize contributors behind the word (0 when inferred).
    public var audealizeContributors: Int
    /// Multiplies the intensity (1 for a plain word; "slightly" would lower it).
    public var intensityScale: Float = 1
    /// +1 moves towards the word, −1 away from it ("less bright").
    public var direction: Float = 1
}

/// The words the product knows and what each means, behind one lookup. Every front end
/// (`adaptive-eq process`, `terms`, the LV2 plugin, the live client) builds it the same way.
///
/// The rule: a word is normalised (`normalise`), then looked up in the model's term table
/// (or, without a model, in the SAFE-DB table). Adaptive mode steers towards its latent;
/// static mode applies its SAFE-DB setting when the SAFE-DB table has the word (the robust
/// medoid of its user settings, `scripts/static_terms.py`), else the decoder's EQ of its
/// latent. Its provenance is SAFE-DB when SAFE-DB rows back it, else Audealize when
/// Audealize contributors do, else inferred.
public struct Vocabulary: Sendable {
    /// The normalised words, in term-index order.
    public let words: [String]
    /// The fixed EQ of each word at intensity 1 (static mode).
    public let settings: [EQSettings]
    /// The model that runs adaptive mode and places the words (nil: static EQs only).
    public let model: AdaptiveEQModel?
    private let meanings: [WordMeaning]

    /// The vocabulary of `model`'s term table, with the SAFE-DB settings of `staticTerms` for
    /// static mode; without a model, the static table's words alone.
    public init(staticTerms: StaticTermTable, model: AdaptiveEQModel? = nil) {
        self.model = model
        guard let model else {
            meanings = staticTerms.terms.enumerated().map { index, term in
                WordMeaning(word: Self.normalise(term.word), index: index, settings: term.settings,
                            settingsFromSAFEDB: true, latent: nil, provenance: .safeDB(rows: term.rowCount),
                            safeRows: term.rowCount, audealizeContributors: 0)
            }
            words = meanings.map(\.word)
            settings = meanings.map(\.settings)
            return
        }
        let decoder = EQDecoder(weights: model.decoder)
        let terms = model.terms
        meanings = terms.names.enumerated().map { index, name in
            let latent = terms.latent(at: index)
            let support = terms.supportCounts(at: index)
            let known = staticTerms.term(name)
            let eq = known?.settings ?? Self.staticSettings(decoding: latent, with: decoder)
            let safeRows = max(Int(support.safeRows), known?.rowCount ?? 0)
            let contributors = Int(support.audealizeContributors)
            let provenance: WordProvenance = safeRows > 0 ? .safeDB(rows: safeRows)
                : contributors > 0 ? .audealize(contributors: contributors, agreement: support.audealizeAgreement)
                : .inferred
            return WordMeaning(word: Self.normalise(name), index: index, settings: eq, settingsFromSAFEDB: known != nil,
                               latent: Array(UnsafeBufferPointer(start: latent, count: terms.latentCount)),
                               provenance: provenance, safeRows: safeRows, audealizeContributors: contributors)
        }
        words = meanings.map(\.word)
        settings = meanings.map(\.settings)
    }

    /// The static EQ a latent stands for: the decoder's parameters clamped to their ranges
    /// (what static mode applies for a word without SAFE-DB settings, or for a typed phrase).
    /// Allocates.
    package static func staticSettings(decoding latent: UnsafePointer<Float>, with decoder: EQDecoder) -> EQSettings {
        var parameters = [Float](repeating: 0, count: EQSettings.parameterCount)
        parameters.withUnsafeMutableBufferPointer { decoder.decode(latent, into: $0.baseAddress!) }
        return EQSettings { parameters[$0.rawValue] }.clamped
    }

    /// The one normalisation of a typed word: lower case, surrounding white space dropped,
    /// inner runs of white space as one space.
    public static func normalise(_ word: String) -> String {
        word.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// What `word` means, or nil when the vocabulary does not know it.
    public func lookup(_ word: String) -> WordMeaning? {
        let key = Self.normalise(word)
        return meanings.first { $0.word == key }
    }

    /// What the word at `index` means (indices are clamped into the vocabulary).
    public func meaning(at index: Int) -> WordMeaning {
        meanings[min(max(index, 0), meanings.count - 1)]
    }

    /// Index of `word` (see `lookup`), or nil if unknown.
    public func index(of word: String) -> Int? { lookup(word)?.index }

    /// Known words closest in spelling to `word`, best first (for "did you mean" messages).
    public func suggestions(for word: String, limit: Int = 3) -> [String] {
        nearestWords(to: Self.normalise(word), in: words, limit: limit)
    }
}

/// The name hosts first used for the vocabulary.
public typealias HostVocabulary = Vocabulary
