import AdaptiveEQ
import CVST3
import EQCore
import EQDSP
import EQInference

/// A change the main thread hands to the audio thread (`Mailbox`): parameter values from a
/// loaded state, a new meaning of the typed-word slot, the matching detail.
struct PendingChange: ~Copyable {
    var hasValues = false
    /// Normalised value of every parameter, by index in `VST3Parameter.all`.
    let values: UnsafeMutablePointer<Double>
    var hasSlot = false
    let slotLatent: UnsafeMutablePointer<Float>
    var slotSettings = EQSettings.flat
    var slotScale: Float = 1
    var hasDetail = false
    var detail = MatchingDetail.flat

    init(parameterCount: Int, latentCount: Int) {
        values = .allocate(capacity: parameterCount)
        values.initialize(repeating: 0, count: parameterCount)
        slotLatent = .allocate(capacity: max(latentCount, 1))
        slotLatent.initialize(repeating: 0, count: max(latentCount, 1))
    }

    deinit { values.deallocate(); slotLatent.deallocate() }
}

/// One-slot hand-off from the main thread to the audio thread that never blocks the audio
/// thread: 0 empty, 1 the main thread writes, 2 full, 3 the audio thread reads. The main
/// thread may take back a full slot it has not seen consumed and add to it; it waits only
/// while the audio thread copies (a few hundred bytes).
enum Mailbox {
    static let empty: Int32 = 0, writing: Int32 = 1, full: Int32 = 2, reading: Int32 = 3
}

/// A parameter change the host gave for a sample offset of the current block.
struct ChangePoint {
    var offset: Int32
    var id: UInt32
    var value: Double
}

/// Everything one plugin instance holds.
///
/// Threads: the host's main thread calls everything except `process`; its audio thread
/// calls `process`. They share only `processorValues` (atomic doubles: the values the
/// processor runs on and the read-outs, written by the audio thread, read for `getState`
/// and displays) and the mailbox (main → audio). What `process` touches is raw memory and
/// plain values: it allocates nothing, locks nothing and retains nothing.
struct PluginCore: ~Copyable {
    // Shared.
    let parameterCount = VST3Parameter.all.count
    let processorValues: UnsafeMutablePointer<Double>
    let mailboxState: UnsafeMutablePointer<Int32>
    var pending: PendingChange

    // Audio thread.
    var equaliser: UnsafeMutablePointer<HostEqualiser>?
    /// False until the first `prepare` (a host may call `process` before `setActive`).
    var prepared = false
    var controls = HostControls()
    var slotScale: Float = 1
    let pointCapacity = 4096
    let points: UnsafeMutablePointer<ChangePoint>
    let inputs: UnsafeMutablePointer<UnsafePointer<Float>>
    let outputs: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let segmentInputs: UnsafeMutablePointer<UnsafePointer<Float>>
    let segmentOutputs: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    /// Stands in for an input channel the host flags as silent.
    var zeros: UnsafeMutablePointer<Float>
    var zeroCount = 0
    /// Read-out values last sent to the host (normalised; NaN = never).
    let sentReadouts: UnsafeMutablePointer<Double>
    /// Frames until the response read-outs are evaluated again (≈ 46 ms at 44.1 kHz).
    var framesToResponse = 0
    static let responseUpdateFrames = 2048

    /// Entries of the word list and the typed-word slot's index (copies of `words`' for the
    /// audio thread).
    let wordCount: Int
    let slotIndex: Int?

    // Main thread.
    var words: WordSlots
    /// The values the host set or saw last (what `getParamNormalized` and `getState` give).
    var controllerValues: [Double]
    /// The processor's value of each parameter when the main thread last looked: a change
    /// since then came from the host's processing side (automation) and is adopted.
    var seenProcessorValues: [Double]
    var detail = MatchingDetail.flat
    var active = false
    var processing = false
    var sampleRateHz = 44_100.0
    var maximumBlockFrames = 1024
    var channelCount = 2

    static let maximumChannels = 2

    init(words: WordSlots) {
        self.words = words
        wordCount = words.count
        slotIndex = words.slotIndex
        let count = VST3Parameter.all.count
        processorValues = .allocate(capacity: count)
        mailboxState = .allocate(capacity: 1)
        mailboxState.initialize(to: Mailbox.empty)
        pending = PendingChange(parameterCount: count, latentCount: words.latentCount)
        points = .allocate(capacity: pointCapacity)
        inputs = .allocate(capacity: Self.maximumChannels)
        outputs = .allocate(capacity: Self.maximumChannels)
        segmentInputs = .allocate(capacity: Self.maximumChannels)
        segmentOutputs = .allocate(capacity: Self.maximumChannels)
        zeros = .allocate(capacity: 1)
        zeros.initialize(to: 0)
        sentReadouts = .allocate(capacity: count)
        sentReadouts.initialize(repeating: .nan, count: count)
        controllerValues = VST3Parameter.all.map { $0.normalized($0.defaultPlain(words: words.names), wordCount: words.count) }
        processorValues.initialize(from: controllerValues, count: count)
        seenProcessorValues = controllerValues
        for p in VST3Parameter.all {
            p.apply(plain: p.defaultPlain(words: words.names), to: &controls, wordCount: words.count)
        }
        equaliser = .allocate(capacity: 1)
        equaliser!.initialize(to: HostEqualiser(vocabulary: words.vocabulary))
    }

    deinit {
        if let equaliser { equaliser.deinitialize(count: 1); equaliser.deallocate() }
        processorValues.deallocate(); mailboxState.deallocate(); points.deallocate()
        inputs.deallocate(); outputs.deallocate(); segmentInputs.deallocate(); segmentOutputs.deallocate()
        zeros.deallocate(); sentReadouts.deallocate()
    }

    // MARK: - main thread: set-up

    /// Prepares the equaliser for the current rate, block size and channels (allocates), then
    /// takes any pending change. Only while the audio thread is not processing.
    mutating func prepare() {
        guard let equaliser else { return }
        equaliser.pointee.prepare(ProcessSpec(sampleRateHz: sampleRateHz, maximumBlockFrames: max(maximumBlockFrames, 1),
                                              channelCount: channelCount))
        let need = max(maximumBlockFrames, 4096)
        if need > zeroCount {
            zeros.deallocate()
            zeros = .allocate(capacity: need)
            zeros.initialize(repeating: 0, count: need)
            zeroCount = need
        }
        takePending()
        equaliser.pointee.reset()
        framesToResponse = 0
        prepared = true
    }

    // MARK: - main thread: the mailbox

    /// Runs `write` on the pending change, merging with one the audio thread has not taken.
    mutating func post(_ write: (inout PendingChange) -> Void) {
        while true {
            if aeq_atomic_cas(mailboxState, Mailbox.empty, Mailbox.writing) {
                pending.hasValues = false; pending.hasSlot = false; pending.hasDetail = false
                break
            }
            if aeq_atomic_cas(mailboxState, Mailbox.full, Mailbox.writing) { break }
            // The audio thread is copying it out: a moment.
        }
        write(&pending)
        aeq_atomic_store(mailboxState, Mailbox.full)
    }

    /// The normalised value the processor runs on (or will, once it takes a pending state).
    mutating func processorValue(at index: Int) -> Double {
        var value = aeq_atomic_load_double(processorValues + index)
        if aeq_atomic_cas(mailboxState, Mailbox.full, Mailbox.writing) {
            if pending.hasValues { value = pending.values[index] }
            aeq_atomic_store(mailboxState, Mailbox.full)
        }
        return value
    }

    // MARK: - audio thread

    /// Takes a pending change, if one is there and not being written. Real-time safe.
    mutating func takePending() {
        guard aeq_atomic_cas(mailboxState, Mailbox.full, Mailbox.reading) else { return }
        if pending.hasSlot, let slot = slotIndex, let equaliser {
            equaliser.pointee.replaceWord(at: slot, latent: pending.slotLatent, settings: pending.slotSettings)
            slotScale = pending.slotScale
        }
        if pending.hasDetail { controls.matchingDetail = pending.detail }
        if pending.hasValues {
            var i = 0
            while i < parameterCount {
                if let p = VST3Parameter(id: VST3Parameter.id(atIndex: i)), !p.isReadOnly {
                    let v = pending.values[i]
                    p.apply(plain: p.plain(v, wordCount: wordCount), to: &controls, wordCount: wordCount)
                    aeq_atomic_store_double(processorValues + i, v)
                }
                i += 1
            }
        }
        aeq_atomic_store(mailboxState, Mailbox.empty)
    }

    /// The host's `process`. Real-time safe.
    mutating func process(_ data: UnsafeMutablePointer<aeq_process_data>) -> Int32 {
        guard let equaliser, prepared else { return TResult.notInitialized }
        guard data.pointee.symbolic_sample_size == 0 else { return TResult.resultFalse }
        takePending()
        let frames = Int(max(data.pointee.num_samples, 0))
        let pointCount = collectPoints(data.pointee.input_parameter_changes, frames: frames)

        // Audio buses: main bus 0 in and out, with the prepared channel count.
        let channels = equaliser.pointee.channelCount
        var audioOK = frames > 0 && data.pointee.num_inputs > 0 && data.pointee.num_outputs > 0
            && data.pointee.inputs != nil && data.pointee.outputs != nil
        if audioOK {
            let inBus = data.pointee.inputs!, outBus = data.pointee.outputs!
            audioOK = Int(inBus.pointee.num_channels) == channels && Int(outBus.pointee.num_channels) == channels
                && inBus.pointee.buffers != nil && outBus.pointee.buffers != nil
            if audioOK {
                for c in 0..<channels {
                    guard let i = inBus.pointee.buffers![c], let o = outBus.pointee.buffers![c] else { audioOK = false; break }
                    let silent = inBus.pointee.silence_flags & (1 << UInt64(c)) != 0 && frames <= zeroCount
                    inputs[c] = silent ? UnsafePointer(zeros) : UnsafePointer(i.assumingMemoryBound(to: Float.self))
                    outputs[c] = o.assumingMemoryBound(to: Float.self)
                }
            }
            if !audioOK { passThrough(data, frames: frames) }
        }

        // Render between change points; changes at an offset take effect from that sample.
        var start = 0
        var next = 0
        while true {
            while next < pointCount && Int(points[next].offset) <= start {
                apply(points[next])
                next += 1
            }
            let end = next < pointCount ? Int(points[next].offset) : frames
            if audioOK && end > start { render(equaliser, from: start, to: end) }
            if next >= pointCount { break }
            start = max(end, start)
        }

        if audioOK, let outBus = data.pointee.outputs {
            var flags: UInt64 = 0
            for c in 0..<channels where isSilent(outputs[c], frames) { flags |= 1 << UInt64(c) }
            outBus.pointee.silence_flags = flags
        }
        publishReadouts(equaliser, frames: frames, to: data.pointee.output_parameter_changes)
        return TResult.ok
    }

    /// Reads the host's parameter queues into `points`, sorted by offset (stable: a queue's
    /// points keep their order). Read-outs and unknown ids are skipped.
    private mutating func collectPoints(_ changes: UnsafeMutableRawPointer?, frames: Int) -> Int {
        guard let changes else { return 0 }
        let vt = aeq_vtable(changes).assumingMemoryBound(to: aeq_parameter_changes_vtbl.self)
        var count = 0
        let queues = vt.pointee.get_parameter_count(changes)
        var q: Int32 = 0
        while q < queues {
            defer { q += 1 }
            guard let queue = vt.pointee.get_parameter_data(changes, q) else { continue }
            let qvt = aeq_vtable(queue).assumingMemoryBound(to: aeq_param_value_queue_vtbl.self)
            let id = qvt.pointee.get_parameter_id(queue)
            guard let p = VST3Parameter(id: id), !p.isReadOnly else { continue }
            let n = qvt.pointee.get_point_count(queue)
            var j: Int32 = 0
            while j < n && count < pointCapacity {
                var offset: Int32 = 0
                var value = 0.0
                if qvt.pointee.get_point(queue, j, &offset, &value) == TResult.ok, value.isFinite {
                    points[count] = ChangePoint(offset: min(max(offset, 0), Int32(frames)), id: id, value: value)
                    count += 1
                }
                j += 1
            }
        }
        // Insertion sort by offset: queues arrive sorted, so this is nearly linear.
        var i = 1
        while i < count {
            let x = points[i]
            var k = i - 1
            while k >= 0 && points[k].offset > x.offset {
                points[k + 1] = points[k]
                k -= 1
            }
            points[k + 1] = x
            i += 1
        }
        return count
    }

    @inline(__always)
    private mutating func apply(_ point: ChangePoint) {
        guard let p = VST3Parameter(id: point.id) else { return }
        let v = min(max(point.value, 0), 1)
        p.apply(plain: p.plain(v, wordCount: wordCount), to: &controls, wordCount: wordCount)
        aeq_atomic_store_double(processorValues + p.index, v)
    }

    /// The controls the equaliser runs on: a phrase's "a bit" / "very" scales the intensity
    /// while the typed-word slot is chosen (as `adaptive-eq process --term` does).
    private var effectiveControls: HostControls {
        var c = controls
        if let slot = slotIndex, c.term == slot, slotScale != 1 {
            c.intensity = min(max(c.intensity * slotScale, 0), 1)
        }
        return c
    }

    private mutating func render(_ equaliser: UnsafeMutablePointer<HostEqualiser>, from start: Int, to end: Int) {
        let channels = equaliser.pointee.channelCount
        for c in 0..<channels {
            segmentInputs[c] = inputs[c] + start
            segmentOutputs[c] = outputs[c] + start
        }
        equaliser.pointee.process(inputs: segmentInputs, outputs: segmentOutputs, frameCount: end - start,
                                  controls: effectiveControls)
    }

    /// Channels that do not match the prepared layout: copied through (missing inputs as
    /// silence), so the host never plays an uninitialised buffer.
    private func passThrough(_ data: UnsafeMutablePointer<aeq_process_data>, frames: Int) {
        guard let outBus = data.pointee.outputs, let outs = outBus.pointee.buffers else { return }
        let inBus = data.pointee.num_inputs > 0 ? data.pointee.inputs : nil
        for c in 0..<Int(outBus.pointee.num_channels) {
            guard let o = outs[c]?.assumingMemoryBound(to: Float.self) else { continue }
            if let inBus, c < Int(inBus.pointee.num_channels), let i = inBus.pointee.buffers?[c] {
                let src = i.assumingMemoryBound(to: Float.self)
                if src != o { o.update(from: src, count: frames) }
            } else {
                o.update(repeating: 0, count: frames)
            }
        }
    }

    private func isSilent(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            if x[i] != 0 { return false }
            i += 1
        }
        return true
    }

    /// Stores the read-outs for `getParamNormalized` and sends the ones that changed: the
    /// target and correction EQs and the loudness gain every block, the response (about 370
    /// filter evaluations) every `responseUpdateFrames`.
    private mutating func publishReadouts(_ equaliser: UnsafeMutablePointer<HostEqualiser>,
                                          frames: Int, to changes: UnsafeMutableRawPointer?) {
        let applied = equaliser.pointee.applied
        var i = 0
        while i < EQSettings.parameterCount {
            if let p = EQParameter(rawValue: i) {
                let t = VST3Parameter.target(p), c = VST3Parameter.correction(p)
                publish(t, t.normalized(Double(applied.target[p]), wordCount: 0), to: changes)
                publish(c, c.normalized(Double(applied.correction[p]), wordCount: 0), to: changes)
            }
            i += 1
        }
        let gain = VST3Parameter.loudnessGain
        publish(gain, gain.normalized(Double(applied.loudnessGainDecibels), wordCount: 0), to: changes)
        framesToResponse -= frames
        guard framesToResponse <= 0 else { return }
        framesToResponse = Self.responseUpdateFrames
        let rate = equaliser.pointee.sampleRateHz
        var band = 0
        while band < VST3Parameter.responseBandCount {
            let r = VST3Parameter.response(band: band)
            let db = applied.magnitudeDecibels(atFrequency: VST3Parameter.responseFrequencyHz(band), sampleRateHz: rate)
            publish(r, r.normalized(db, wordCount: 0), to: changes)
            band += 1
        }
    }

    @inline(__always)
    private mutating func publish(_ p: VST3Parameter, _ value: Double, to changes: UnsafeMutableRawPointer?) {
        let index = p.index
        aeq_atomic_store_double(processorValues + index, value)
        guard let changes, value != sentReadouts[index] else { return }
        let vt = aeq_vtable(changes).assumingMemoryBound(to: aeq_parameter_changes_vtbl.self)
        var id = p.id
        var queueIndex: Int32 = 0
        guard let queue = vt.pointee.add_parameter_data(changes, &id, &queueIndex) else { return }
        let qvt = aeq_vtable(queue).assumingMemoryBound(to: aeq_param_value_queue_vtbl.self)
        var pointIndex: Int32 = 0
        if qvt.pointee.add_point(queue, 0, value, &pointIndex) == TResult.ok {
            sentReadouts[index] = value
        }
    }
}

extension VST3Parameter {
    /// Id of the parameter at `index` of `all`, without touching the array (for the audio
    /// thread).
    @inline(__always)
    static func id(atIndex index: Int) -> UInt32 {
        let controls = controlCount, eq = EQSettings.parameterCount
        switch index {
        case ..<controls: return UInt32(index)
        case ..<(controls + eq): return 100 + UInt32(index - controls)
        case ..<(controls + 2 * eq): return 200 + UInt32(index - controls - eq)
        case ..<(controls + 3 * eq): return 220 + UInt32(index - controls - 2 * eq)
        case ..<(controls + 3 * eq + responseBandCount): return 240 + UInt32(index - controls - 3 * eq)
        default: return 300
        }
    }
}

/// VST3 result codes (Linux values).
enum TResult {
    static let noInterface: Int32 = -1
    static let ok: Int32 = 0
    static let resultTrue: Int32 = 0
    static let resultFalse: Int32 = 1
    static let invalidArgument: Int32 = 2
    static let notImplemented: Int32 = 3
    static let internalError: Int32 = 4
    static let notInitialized: Int32 = 5
}
