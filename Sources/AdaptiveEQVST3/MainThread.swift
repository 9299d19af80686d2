import AdaptiveEQ
import CVST3
import EQCore
import EQDSP

/// What the host's main thread asks of an instance: set-up, buses, state and parameters.
extension PluginCore {
    static let stereo: UInt64 = 0x3
    static let mono: UInt64 = 1 << 19
    /// A state larger than this is not ours (ours is well under 1 KiB).
    static let maximumStateBytes = 64 << 10

    // MARK: - set-up

    mutating func setActive(_ on: Bool) -> Int32 {
        active = on
        if on { prepare() }
        return TResult.ok
    }

    mutating func setupProcessing(_ setup: aeq_process_setup) -> Int32 {
        guard setup.symbolic_sample_size == 0 else { return TResult.resultFalse }  // 32-bit float only
        guard setup.sample_rate.isFinite, (8_000...384_000).contains(setup.sample_rate),
              setup.max_samples_per_block > 0 else { return TResult.invalidArgument }
        guard !processing else { return TResult.resultFalse }
        sampleRateHz = setup.sample_rate
        maximumBlockFrames = Int(min(setup.max_samples_per_block, 1 << 20))
        if active { prepare() }
        return TResult.ok
    }

    /// 1→1 (mono) and 2→2 (stereo) only.
    mutating func setBusArrangements(_ inputs: UnsafePointer<UInt64>?, _ inputCount: Int32,
                                     _ outputs: UnsafePointer<UInt64>?, _ outputCount: Int32) -> Int32 {
        guard inputCount == 1, outputCount == 1, let inputs, let outputs, inputs[0] == outputs[0],
              inputs[0] == Self.stereo || inputs[0] == Self.mono, !processing else { return TResult.resultFalse }
        let channels = inputs[0] == Self.mono ? 1 : 2
        if channels != channelCount {
            channelCount = channels
            if active { prepare() }
        }
        return TResult.ok
    }

    var arrangement: UInt64 { channelCount == 1 ? Self.mono : Self.stereo }

    func busInfo(mediaType: Int32, direction: Int32, index: Int32, into bus: UnsafeMutablePointer<aeq_bus_info>) -> Int32 {
        guard mediaType == 0, index == 0, direction == 0 || direction == 1 else { return TResult.invalidArgument }
        bus.pointee.media_type = 0
        bus.pointee.direction = direction
        bus.pointee.channel_count = Int32(channelCount)
        withUnsafeMutablePointer(to: &bus.pointee.name) {
            $0.withMemoryRebound(to: UInt16.self, capacity: 128) {
                ParameterText.write(direction == 0 ? "Input" : "Output", to: $0)
            }
        }
        bus.pointee.bus_type = 0  // main
        bus.pointee.flags = 1     // default active
        return TResult.ok
    }

    // MARK: - state

    /// Adopts values the processor received from the host since the main thread last looked
    /// (automation the host did not also give the controller).
    mutating func adoptProcessorChanges() {
        for (i, p) in VST3Parameter.all.enumerated() where !p.isReadOnly {
            let v = processorValue(at: i)
            if v != seenProcessorValues[i] {
                seenProcessorValues[i] = v
                controllerValues[i] = v
            }
        }
    }

    /// The current settings as bytes (`PluginState`): what the host set last, on either side.
    mutating func stateBytes() -> [UInt8] {
        adoptProcessorChanges()
        var c = HostControls()
        for (i, p) in VST3Parameter.all.enumerated() where !p.isReadOnly {
            p.apply(plain: p.plain(controllerValues[i], wordCount: wordCount), to: &c, wordCount: wordCount)
        }
        c.matchingDetail = detail
        return PluginState(controls: c, word: words.text(at: c.term), secondWord: words.text(at: c.secondTerm)).encoded()
    }

    /// Loads saved settings: refused (result false, nothing changed) when they are not ours,
    /// damaged, or name a word this bundle cannot mean. With `toProcessor` the processor takes
    /// them at its next block; otherwise only what the controller shows changes (and the
    /// typed-word slot, which both share).
    mutating func load(_ bytes: [UInt8], toProcessor: Bool) -> Int32 {
        let state: PluginState
        var first: WordChoice, second: WordChoice
        do {
            state = try PluginState(decoding: bytes)
            first = try words.choice(for: state.word.isEmpty ? words.text(at: defaultWord(.term)) : state.word)
            second = try words.choice(for: state.secondWord.isEmpty ? words.text(at: defaultWord(.secondTerm)) : state.secondWord)
        } catch {
            reportError("settings refused: \(error.description)")
            return TResult.resultFalse
        }
        if case .slot(let phrase, _, _, _) = second {
            // One slot: the second word may only be the typed phrase the first word is.
            guard case .slot(phrase, _, _, _) = first else {
                reportError("settings refused: second word '\(state.secondWord)' is neither learnt nor the first word")
                return TResult.resultFalse
            }
            second = .row(slotIndex!)
        }
        var controls = state.controls
        controls.term = index(of: first)
        controls.secondTerm = index(of: second)
        if case .slot = first { install(first) }
        let values = VST3Parameter.all.map { $0.isReadOnly ? 0 : $0.normalized($0.plain(of: controls), wordCount: wordCount) }
        for (i, p) in VST3Parameter.all.enumerated() where !p.isReadOnly {
            controllerValues[i] = values[i]
            seenProcessorValues[i] = toProcessor ? values[i] : processorValue(at: i)
        }
        detail = controls.matchingDetail
        if toProcessor {
            post { pending in
                for (i, v) in values.enumerated() { pending.values[i] = v }
                pending.hasValues = true
                pending.detail = controls.matchingDetail
                pending.hasDetail = true
            }
        }
        return TResult.ok
    }

    private func index(of choice: WordChoice) -> Int {
        switch choice {
        case .row(let i): i
        case .slot: slotIndex!
        }
    }

    private func defaultWord(_ p: ControlParameter) -> Int {
        Int(VST3Parameter.control(p).defaultPlain(words: words.names))
    }

    /// Puts a typed word or phrase into the slot (shown now, heard from the next block).
    mutating func install(_ choice: WordChoice) {
        guard case let .slot(phrase, latent, settings, scale) = choice else { return }
        guard words.text(at: slotIndex!) != phrase || phrase == WordSlots.placeholder else { return }
        words.setSlotName(phrase)
        post { pending in
            for (i, z) in latent.enumerated() { pending.slotLatent[i] = z }
            pending.slotSettings = settings
            pending.slotScale = scale
            pending.hasSlot = true
        }
    }

    // MARK: - parameters

    func parameterInfo(_ index: Int32, into info: UnsafeMutablePointer<aeq_parameter_info>) -> Int32 {
        guard index >= 0, Int(index) < VST3Parameter.all.count else { return TResult.invalidArgument }
        let p = VST3Parameter.all[Int(index)]
        info.pointee.id = p.id
        withUnsafeMutablePointer(to: &info.pointee.title) {
            $0.withMemoryRebound(to: UInt16.self, capacity: 128) { ParameterText.write(p.title, to: $0) }
        }
        withUnsafeMutablePointer(to: &info.pointee.short_title) {
            $0.withMemoryRebound(to: UInt16.self, capacity: 128) { ParameterText.write(p.title, to: $0) }
        }
        withUnsafeMutablePointer(to: &info.pointee.units) {
            $0.withMemoryRebound(to: UInt16.self, capacity: 128) { ParameterText.write(p.units, to: $0) }
        }
        info.pointee.step_count = p.stepCount(wordCount: wordCount)
        info.pointee.default_normalized_value = p.normalized(p.defaultPlain(words: words.names), wordCount: wordCount)
        info.pointee.unit_id = 0
        info.pointee.flags = p.flags
        return TResult.ok
    }

    func text(id: UInt32, normalized: Double) -> String? {
        guard let p = VST3Parameter(id: id) else { return nil }
        return ParameterText.text(p, plain: p.plain(normalized, wordCount: wordCount), words: words.names)
    }

    /// The normalised value `text` names; for the word lists, any word or phrase (a new one
    /// goes into the typed-word slot).
    mutating func normalized(id: UInt32, text: String) -> Double? {
        guard let p = VST3Parameter(id: id), !p.isReadOnly else { return nil }
        if case .control(let c) = p, c == .term || c == .secondTerm {
            guard let choice = try? words.choice(for: text) else { return nil }
            if case let .slot(phrase, _, _, _) = choice {
                // The second word may name the slot's entry, not put a new one there.
                if c == .term { install(choice) } else if phrase != words.text(at: slotIndex!) { return nil }
            }
            return p.normalized(Double(index(of: choice)), wordCount: wordCount)
        }
        guard let plain = ParameterText.plain(p, text: text) else { return nil }
        return p.normalized(plain, wordCount: wordCount)
    }

    mutating func parameterNormalized(id: UInt32) -> Double {
        guard let p = VST3Parameter(id: id) else { return 0 }
        if p.isReadOnly { return aeq_atomic_load_double(processorValues + p.index) }
        let v = processorValue(at: p.index)
        if v != seenProcessorValues[p.index] {
            seenProcessorValues[p.index] = v
            controllerValues[p.index] = v
        }
        return controllerValues[p.index]
    }

    mutating func setParameterNormalized(id: UInt32, _ value: Double) -> Int32 {
        guard let p = VST3Parameter(id: id), value.isFinite else { return TResult.invalidArgument }
        if !p.isReadOnly {
            controllerValues[p.index] = min(max(value, 0), 1)
            seenProcessorValues[p.index] = processorValue(at: p.index)
        }
        return TResult.ok
    }
}
