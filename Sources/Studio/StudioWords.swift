import EQCore
import AdaptiveEQ
import EQAnalysis
import EQInference

/// The studio's word list: the learnt vocabulary, then the rows added while serving (any
/// word or phrase typed into the page, looked up exactly as `adaptive-eq process --term`
/// does, and reference tracks), each with what the page shows about it.
struct WordRows {
    private(set) var vocabulary: HostVocabulary
    /// JSON-ready: word, support, source ("learnt", "inferred", "reference"), provenance,
    /// map position.
    private(set) var rows: [[String: Any]]
    /// Intensity factor of each row (a phrase's "a bit" / "very"; 1 otherwise).
    private(set) var intensityScales: [Float]
    /// The term table the look-up runs against (the learnt words, before any row was added).
    let learnt: TermTable?
    var added: Int { rows.count - (learnt?.count ?? vocabulary.words.count) }

    /// `descriptive`: whether learnt word `i` describes timbre with enough support (the map and
    /// the list show only those, besides the words added while serving).
    init(vocabulary: HostVocabulary, staticTerms: StaticTermTable?, map: LatentMap?, descriptive: (Int) -> Bool = { _ in true }) {
        self.vocabulary = vocabulary
        learnt = vocabulary.model?.terms
        rows = vocabulary.words.indices.map { i in
            var row: [String: Any]
            if let model = vocabulary.model {
                let s = model.terms.supportCounts(at: i)
                row = ["safeRows": Int(s.safeRows), "audealizeContributors": Int(s.audealizeContributors),
                       "audealizeAgreement": Double(s.audealizeAgreement)]
            } else {
                let term = staticTerms?.term(vocabulary.words[i])
                row = ["safeRows": term?.rowCount ?? 0, "audealizeContributors": 0, "audealizeAgreement": 0.0]
            }
            row["word"] = vocabulary.words[i]
            row["source"] = "learnt"
            row["descriptive"] = descriptive(i)
            if let p = map?.wordPositions[i] { row["x"] = Double(p.x); row["y"] = Double(p.y) }
            return row
        }
        intensityScales = [Float](repeating: 1, count: rows.count)
    }

    /// Appends `name` → `latent` (the vocabulary must carry a model) and returns its index.
    mutating func append(_ name: String, latent: [Float], intensityScale: Float, source: String, provenance: String,
                         staticTerms: StaticTermTable, map: LatentMap?) -> Int {
        let model = vocabulary.model!.appendingTerm(name, latent: latent)
        vocabulary = HostVocabulary(staticTerms: staticTerms, model: model)
        var row: [String: Any] = ["word": vocabulary.words[rows.count], "safeRows": 0, "audealizeContributors": 0,
                                  "audealizeAgreement": 0.0, "source": source, "provenance": provenance]
        if let map {
            let p = latent.withUnsafeBufferPointer { map.position(of: $0.baseAddress!) }
            (row["x"], row["y"]) = (Double(p.x), Double(p.y))
        }
        rows.append(row)
        intensityScales.append(intensityScale)
        return rows.count - 1
    }
}

extension StudioState {
    /// Index of `text` among the words: a word already listed, else any English word or short
    /// phrase through the look-up every front end uses (`lookUpWord`), added as a row. The
    /// error is the look-up's one line (with suggestions).
    public func wordIndex(_ text: String, field: String = ControlParameter.term.symbol) throws(StudioError) -> Int {
        try wordIndex(text, field: field, adding: true)!
    }

    /// Refuses `text` as `wordIndex` would, without adding it (nil: it would be added).
    func existingWordIndex(_ text: String, field: String) throws(StudioError) -> Int? {
        try wordIndex(text, field: field, adding: false)
    }

    private func wordIndex(_ text: String, field: String, adding: Bool) throws(StudioError) -> Int? {
        let shown = String(text.prefix(WordPhrase.maximumLength))
        lock.lock()
        defer { lock.unlock() }
        if let i = words.vocabulary.index(of: text) { return i }
        guard let learnt = words.learnt, let staticTerms else {
            throw .badRequest("\(field): unknown word '\(shown)' (the studio runs without the model: learnt words only)")
        }
        let answer: WordAnswer
        do { answer = try lookUpWord(text, terms: learnt, vocabulary: openVocabulary) } catch {
            throw .badRequest("\(field): \(error.description)")
        }
        if answer.isLearnt, !answer.away, answer.intensityScale == 1, let i = words.vocabulary.index(of: answer.word) {
            return i  // "warmer" is "warm"
        }
        guard words.added < Self.maximumAddedRows else {
            throw .badRequest("\(field): \(Self.maximumAddedRows) words were added in this session already; restart the studio for more")
        }
        guard adding else { return nil }
        return words.append(HostVocabulary.normalise(answer.phrase), latent: answer.latent,
                            intensityScale: answer.intensityScale, source: answer.isLearnt ? "learnt" : "inferred",
                            provenance: answer.provenance, staticTerms: staticTerms, map: map)
    }

    /// Adds track `id` as a word, "reference: NAME", and returns its index: "make it sound
    /// like this track". Played on any track, the word applies the matching EQ from that
    /// track's long-term spectrum to this one's (`matchingControls`), as `process --reference`.
    public func addReference(track id: String) throws(StudioError) -> Int {
        guard let track = track(id) else { throw .notFound("track: no such track (it may have been replaced by newer uploads)") }
        guard let model = vocabulary.model, let staticTerms else {
            throw .badRequest("reference: needs the adaptive model")
        }
        // One row per track, found by the track's id: two uploads of the same name are two
        // references ("reference: take.wav", "reference: take.wav 2").
        lock.lock()
        let existing = referenceRows[id]
        lock.unlock()
        if let existing { return existing }
        guard let levels = spectrum(of: track) else {
            throw .badRequest("reference: the track is too short or too quiet to measure (needs about 0.1 s above -60 dBFS)")
        }
        lock.lock()
        defer { lock.unlock() }
        if let i = referenceRows[id] { return i }
        var name = HostVocabulary.normalise("reference: " + track.name)
        var n = 2
        while words.vocabulary.index(of: name) != nil {
            name = HostVocabulary.normalise("reference: \(track.name) \(n)")
            n += 1
        }
        guard words.added < Self.maximumAddedRows else {
            throw .badRequest("reference: \(Self.maximumAddedRows) words were added in this session already; restart the studio for more")
        }
        // The row's latent is never steered to (the row always plays as the matching EQ).
        let index = words.append(name, latent: [Float](repeating: 0, count: model.latentCount), intensityScale: 1,
                                 source: "reference",
                                 provenance: "the matching EQ from the playing track's long-term spectrum to that of '\(track.name)'",
                                 staticTerms: staticTerms, map: nil)
        referenceLevels[index] = levels
        referenceRows[id] = index
        return index
    }

    /// The long-term spectrum of a track (cached per track).
    func spectrum(of track: StudioTrack) -> [Double]? {
        lock.lock()
        let cached = trackLevels[track.id]
        lock.unlock()
        if let cached { return cached }
        let analysis = LongTermSpectrum(sampleRateHz: Double(track.sampleRateHz))
        let channels = track.channelCount, chunk = 16_384
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: chunk * channels)
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: channels)
        defer { buffer.deallocate(); pointers.deallocate() }
        for c in 0..<channels { pointers[c] = buffer + c * chunk }
        var position = 0
        while position < track.frameCount {
            let n = min(chunk, track.frameCount - position)
            for c in 0..<channels {
                track.channels[c].withUnsafeBufferPointer { pointers[c].update(from: $0.baseAddress! + position, count: n) }
            }
            analysis.add(pointers, channelCount: channels, frameCount: n)
            position += n
        }
        let levels = analysis.bandLevelsDecibels
        lock.lock()
        trackLevels[track.id] = levels
        lock.unlock()
        return levels
    }

    /// `controls` as played on `track`: when the word is a reference, manual mode with the
    /// matching EQ and its detail stage at the intensity, plus the whole-file loudness-matching gain when on;
    /// otherwise unchanged.
    func matchingControls(_ controls: HostControls, track: StudioTrack) -> HostControls {
        lock.lock()
        let reference = referenceLevels[controls.term]
        lock.unlock()
        guard let reference else { return controls }
        let fs = Double(track.sampleRateHz), centres = LongTermSpectrum.bandCentresHz
        guard let input = spectrum(of: track) else { return controls.playing(matchingEQ: .flat, loudnessGainDecibels: 0) }
        let key = "\(track.id) \(controls.term)"
        lock.lock()
        let cached = fits[key]
        lock.unlock()
        let full = cached ?? {
            let eq = MatchingEQ.fit(input: input, reference: reference, bandCentresHz: centres, sampleRateHz: fs)
            return (eq, MatchingDetail.fit(input: input, reference: reference, base: eq, bandCentresHz: centres, sampleRateHz: fs))
        }()
        if cached == nil { lock.lock(); fits[key] = full; lock.unlock() }
        let played = MatchingEQ.atIntensity(full.eq, detail: full.detail, controls.intensity, input: input,
                                            bandCentresHz: centres, sampleRateHz: fs)
        return controls.playing(matchingEQ: played.eq, detail: played.detail, loudnessGainDecibels: played.loudnessGainDecibels)
    }

    /// The intensity factor of the word at `index` (1 outside the list).
    public func intensityScale(at index: Int) -> Float {
        lock.lock()
        defer { lock.unlock() }
        return words.intensityScales.indices.contains(index) ? words.intensityScales[index] : 1
    }
}
