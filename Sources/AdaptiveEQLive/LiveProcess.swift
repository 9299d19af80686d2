import AdaptiveEQ
import CJackShim
import EQDSP
import Synchronization

// The audio-thread side of the live client. The JACK process callback is a free C-convention
// function (never a closure, never on the main actor); everything it touches lives behind
// the raw pointer JACK hands back. Controls arrive through relaxed atomics written by the
// command thread; the applied EQ and the timing statistics go back the same way.

/// Slots of the control mailbox: the control table's parameters, then the 13 manual EQ
/// parameters, each a `Float` bit pattern of its raw value.
enum Mailbox {
    static let controlCount = ControlParameter.allCases.count
    static let slotCount = controlCount + EQSettings.parameterCount
}

/// Statistics slots written by the audio thread (and the xrun callback).
enum Stat: Int, CaseIterable {
    case xruns, callbacks, frames, busyNanoseconds, maxBusyNanoseconds
}

@available(macOS 15.0, *)
struct LiveState: ~Copyable {
    static let channelCount = 2
    let inPorts: UnsafeMutablePointer<OpaquePointer?>
    let outPorts: UnsafeMutablePointer<OpaquePointer?>
    let inputs: UnsafeMutablePointer<UnsafePointer<Float>>
    let outputs: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let mailbox: UnsafeMutablePointer<Atomic<UInt32>>
    let readout: UnsafeMutablePointer<Atomic<UInt32>>
    let stats: UnsafeMutablePointer<Atomic<Int>>
    let shutdown: UnsafeMutablePointer<Atomic<Bool>>
    var equaliser: HostEqualiser
    var controls: HostControls

    init(vocabulary: Vocabulary, sampleRateHz: Double, controls initial: HostControls) {
        let n = Self.channelCount
        inPorts = .allocate(capacity: n); inPorts.initialize(repeating: nil, count: n)
        outPorts = .allocate(capacity: n); outPorts.initialize(repeating: nil, count: n)
        inputs = .allocate(capacity: n)
        outputs = .allocate(capacity: n)
        mailbox = .allocate(capacity: Mailbox.slotCount)
        for i in 0..<Mailbox.slotCount { (mailbox + i).initialize(to: Atomic(0)) }
        readout = .allocate(capacity: EQSettings.parameterCount)
        for i in 0..<EQSettings.parameterCount { (readout + i).initialize(to: Atomic(0)) }
        stats = .allocate(capacity: Stat.allCases.count)
        for i in 0..<Stat.allCases.count { (stats + i).initialize(to: Atomic(0)) }
        shutdown = .allocate(capacity: 1)
        shutdown.initialize(to: Atomic(false))
        equaliser = HostEqualiser(vocabulary: vocabulary)
        equaliser.prepare(sampleRateHz: sampleRateHz, channelCount: n)
        controls = initial
    }

    deinit {
        inPorts.deallocate(); outPorts.deallocate(); inputs.deallocate(); outputs.deallocate()
        mailbox.deinitialize(count: Mailbox.slotCount); mailbox.deallocate()
        readout.deinitialize(count: EQSettings.parameterCount); readout.deallocate()
        stats.deinitialize(count: Stat.allCases.count); stats.deallocate()
        shutdown.deinitialize(count: 1); shutdown.deallocate()
    }

    /// Publishes a complete set of controls (command thread).
    func post(_ c: HostControls) {
        for i in 0..<Mailbox.controlCount {
            mailbox[i].store(c.rawValue(ControlParameter(rawValue: i)!).bitPattern, ordering: .relaxed)
        }
        for i in 0..<EQSettings.parameterCount {
            mailbox[Mailbox.controlCount + i].store(c.manual[EQParameter(rawValue: i)!].bitPattern, ordering: .relaxed)
        }
    }

    /// The EQ the audio thread applied last (any thread).
    func appliedSettings() -> EQSettings {
        EQSettings { Float(bitPattern: readout[$0.rawValue].load(ordering: .relaxed)) }
    }

    func stat(_ s: Stat) -> Int { stats[s.rawValue].load(ordering: .relaxed) }

    /// One JACK period. Real-time: atomics, pointer reads and the equaliser only.
    mutating func render(frames: UInt32) {
        let start = aeq_monotonic_ns()
        let count = equaliser.vocabularyCount
        for i in 0..<Mailbox.controlCount {
            controls.set(ControlParameter(rawValue: i)!,
                         rawValue: Float(bitPattern: mailbox[i].load(ordering: .relaxed)), vocabularyCount: count)
        }
        for i in 0..<EQSettings.parameterCount {
            controls.setManual(EQParameter(rawValue: i)!,
                               rawValue: Float(bitPattern: mailbox[Mailbox.controlCount + i].load(ordering: .relaxed)))
        }
        for c in 0..<Self.channelCount {
            guard let input = aeq_jack_port_get_buffer(inPorts[c], frames),
                  let output = aeq_jack_port_get_buffer(outPorts[c], frames) else { return }
            inputs[c] = UnsafePointer(input.assumingMemoryBound(to: Float.self))
            outputs[c] = output.assumingMemoryBound(to: Float.self)
        }
        equaliser.process(inputs: inputs, outputs: outputs, frameCount: Int(frames), controls: controls)
        let applied = equaliser.appliedSettings
        for i in 0..<EQSettings.parameterCount {
            readout[i].store(applied[EQParameter(rawValue: i)!].bitPattern, ordering: .relaxed)
        }
        let busy = Int(truncatingIfNeeded: aeq_monotonic_ns() &- start)
        stats[Stat.callbacks.rawValue].wrappingAdd(1, ordering: .relaxed)
        stats[Stat.frames.rawValue].wrappingAdd(Int(frames), ordering: .relaxed)
        stats[Stat.busyNanoseconds.rawValue].wrappingAdd(busy, ordering: .relaxed)
        if busy > stats[Stat.maxBusyNanoseconds.rawValue].load(ordering: .relaxed) {
            stats[Stat.maxBusyNanoseconds.rawValue].store(busy, ordering: .relaxed)
        }
    }
}

@available(macOS 15.0, *)
func liveProcessCallback(_ frames: UInt32, _ arg: UnsafeMutableRawPointer?) -> Int32 {
    arg?.assumingMemoryBound(to: LiveState.self).pointee.render(frames: frames)
    return 0
}

@available(macOS 15.0, *)
func liveXrunCallback(_ arg: UnsafeMutableRawPointer?) -> Int32 {
    arg?.assumingMemoryBound(to: LiveState.self).pointee.stats[Stat.xruns.rawValue].wrappingAdd(1, ordering: .relaxed)
    return 0
}

@available(macOS 15.0, *)
func liveShutdownCallback(_ arg: UnsafeMutableRawPointer?) {
    arg?.assumingMemoryBound(to: LiveState.self).pointee.shutdown.pointee.store(true, ordering: .relaxed)
}
