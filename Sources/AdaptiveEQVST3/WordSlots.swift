import AdaptiveEQ
import EQCore
import EQInference

/// What a word text chooses in the plugin's word list.
enum WordChoice: Equatable {
    /// A learnt word, by its row.
    case row(Int)
    /// Any other word or phrase, in the typed-word slot: its latent, its static EQ and the
    /// intensity factor of its modifiers ("a bit", "very").
    case slot(phrase: String, latent: [Float], settings: EQSettings, intensityScale: Float)
}

/// The word list the plugin offers: the learnt words, in the model's order, then one slot
/// for a word or phrase typed by the user ("glassy", "a bit less muddy"), looked up exactly
/// as `adaptive-eq process --term` looks it up. The list's length never changes, so hosts'
/// parameter ranges and saved automation stay valid. Main thread only (allocates).
struct WordSlots {
    /// The slot's entry before anything was typed (a flat target).
    static let placeholder = "(typed word)"

    let folder: String
    let staticTerms: StaticTermTable
    /// The bundle's model without the slot row (nil: static words only, no slot).
    let model: AdaptiveEQModel?
    /// The vocabulary the equaliser is built on: the learnt words and, with a model, the
    /// slot row (a model of this instance's own, so replacing the row touches no other).
    let vocabulary: Vocabulary
    let learntCount: Int
    /// Index of the typed-word slot (nil without a model).
    let slotIndex: Int?
    let latentCount: Int
    /// The entries hosts show, in order.
    private(set) var names: [String]
    /// The open vocabulary, loaded the first time a word outside the learnt ones is asked.
    private var open: OpenVocabulary??

    var count: Int { names.count }

    init(folder: String) throws(PluginStateError) {
        self.folder = folder
        staticTerms = try PluginResources.staticTerms(folder: folder)
        model = try PluginResources.model(folder: folder)
        if let model {
            learntCount = model.terms.count
            latentCount = model.latentCount
            let zero = [Float](repeating: 0, count: model.latentCount)
            vocabulary = Vocabulary(staticTerms: staticTerms, model: model.appendingTerm(Self.placeholder, latent: zero))
            slotIndex = learntCount
            names = Array(vocabulary.words.prefix(learntCount)) + [Self.placeholder]
        } else {
            vocabulary = Vocabulary(staticTerms: staticTerms)
            learntCount = vocabulary.words.count
            latentCount = 0
            slotIndex = nil
            names = vocabulary.words
        }
    }

    /// What `text` chooses: a learnt word as written, the slot's current entry, or any other
    /// word or phrase through the open vocabulary (the slot). Errors are one line.
    mutating func choice(for text: String) throws(PluginStateError) -> WordChoice {
        let key = Vocabulary.normalise(text)
        guard !key.isEmpty else { throw PluginStateError("no word given") }
        if let i = vocabulary.index(of: key), i < learntCount { return .row(i) }
        guard let model else {
            throw PluginStateError("unknown word '\(text)' (this bundle has no model: learnt words only)")
        }
        if key == Self.placeholder {
            return .slot(phrase: Self.placeholder, latent: [Float](repeating: 0, count: latentCount),
                         settings: vocabulary.settings[slotIndex!], intensityScale: 1)
        }
        if open == nil { open = .some(PluginResources.loadOpenVocabulary(folder: folder, for: model)) }
        let answer: WordAnswer
        do { answer = try lookUpWord(text, terms: model.terms, vocabulary: open!) } catch {
            throw PluginStateError(error.description)
        }
        let learntRow = model.terms.index(of: answer.word)
        if answer.isVerbatimLearnt, let i = learntRow { return .row(i) }
        let settings: EQSettings
        if case .learnt = answer.source, !answer.away, let i = learntRow {
            settings = vocabulary.settings[i]  // "a bit warm": warm's own EQ, a smaller intensity
        } else {
            settings = Vocabulary.staticSettings(decoding: answer.latent, with: EQDecoder(weights: model.decoder))
        }
        return .slot(phrase: answer.phrase, latent: answer.latent, settings: settings,
                     intensityScale: answer.intensityScale)
    }

    /// Shows `phrase` as the slot's entry.
    mutating func setSlotName(_ phrase: String) {
        if let slotIndex { names[slotIndex] = phrase }
    }

    /// The text that chooses entry `index` again (what a saved state stores).
    func text(at index: Int) -> String {
        names[min(max(index, 0), names.count - 1)]
    }
}
