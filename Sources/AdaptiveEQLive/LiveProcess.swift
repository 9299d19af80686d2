import AdaptiveEQ
import CJackShim
import EQDSP
import Synchronization

// The audio-thread side of the live client. The JACK process callback is a free C-convention
// function (never a closure, never on the main actor); everything it touches lives behind
// the raw pointer JACK hands back. Controls arrive through relaxed atomics written by the
// command thread; the applied EQ and the timing statistics go back the same way.

/// Hands complete sets of controls from one writer thread (the command reader) to the
/// audio thread without locks or allocation. Every control is a `Float` bit pattern in a
/// relaxed atomic slot (the control table's parameters, then the 13 manual EQ parameters),
/// guarded by a sequence number (odd while a set is being written): a period that starts
/// while a set is half written keeps the controls it had and takes the set one period later,
/// so the audio thread only ever applies sets that were posted, never a mix of two, however
/// fast they arrive (only the latest set at the start of a period is heard).
@available(macOS 15.0, *)
public struct ControlMailbox: ~Copyable {
    static let controlCount = ControlParameter.allCases.count
    static let slotCount = controlCount + EQSettings.parameterCount
    private let slots: UnsafeMutablePointer<Atomic<UInt32>>
    private let sequence: UnsafeMutablePointer<Atomic<UInt64>>

    public init() {
        slots = .allocate(capacity: Self.slotCount)
        for i in 0..<Self.slotCount { (slots + i).initialize(to: Atomic(0)) }
        sequence = .allocate(capacity: 1)
        sequence.initialize(to: Atomic(0))
    }

    deinit {
        slots.deinitialize(count: Self.slotCount); slots.deallocate()
        sequence.deinitialize(count: 1); sequence.deallocate()
    }

    /// Publishes a complete set of controls (the one writer thread; never blocks).
    public func post(_ c: HostControls) {
        let s = sequence.pointee.load(ordering: .relaxed)
        sequence.pointee.store(s &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        for i in 0..<Self.controlCount {
            slots[i].store(c.rawValue(ControlParameter(rawValue: i)!).bitPattern, ordering: .relaxed)
        }
        for i in 0..<EQSettings.parameterCount {
            slots[Self.controlCount + i].store(c.manual[EQParameter(rawValue: i)!].bitPattern, ordering: .relaxed)
        }
        sequence.pointee.store(s &+ 2, ordering: .releasing)
    }

    /// Puts the last complete set posted into `controls`; returns false (and leaves
    /// `controls` alone) while a set is being written. Real-time safe: no loop, lock or
    /// allocation.
    @discardableResult
    public func take(into controls: inout HostControls, vocabularyCount: Int) -> Bool {
        let before = sequence.pointee.load(ordering: .acquiring)
        guard before & 1 == 0 else { return false }
        var c = controls
        for i in 0..<Self.controlCount {
            c.set(ControlParameter(rawValue: i)!, rawValue: Float(bitPattern: slots[i].load(ordering: .relaxed)),
                  vocabularyCount: vocabularyCount)
        }
        for i in 0..<EQSettings.parameterCount {
            c.setManual(EQParameter(rawValue: i)!, rawValue: Float(bitPattern: slots[Self.controlCount + i].load(ordering: .relaxed)))
        }
        atomicMemoryFence(ordering: .acquiring)
        guard sequence.pointee.load(ordering: .relaxed) == before else { return false }
        controls = c
        return true
    }
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
    let mailbox = ControlMailbox()
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
        readout = .allocate(capacity: Self.readoutCount)
        for i in 0..<Self.readoutCount { (readout + i).initialize(to: Atomic(0)) }
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
        readout.deinitialize(count: Self.readoutCount); readout.deallocate()
        stats.deinitialize(count: Stat.allCases.count); stats.deallocate()
        shutdown.deinitialize(count: 1); shutdown.deallocate()
    }

    /// Publishes a complete set of controls (command thread).
    func post(_ c: HostControls) { mailbox.post(c) }

    /// Read-out slots: the target EQ, the correction EQ, the loudness gain.
    static let readoutCount = 2 * EQSettings.parameterCount + 1

    /// What the audio thread applied last (any thread), as `HostEqualiser.applied` without the
    /// reference detail (the live client plays no reference).
    func applied() -> AppliedEQ {
        func value(_ i: Int) -> Float { Float(bitPattern: readout[i].load(ordering: .relaxed)) }
        let n = EQSettings.parameterCount
        return AppliedEQ(target: EQSettings { value($0.rawValue) }, correction: EQSettings { value(n + $0.rawValue) },
                         loudnessGainDecibels: value(2 * n))
    }

    func stat(_ s: Stat) -> Int { stats[s.rawValue].load(ordering: .relaxed) }

    /// One JACK period. Real-time: atomics, pointer reads and the equaliser only.
    mutating func render(frames: UInt32) {
        let start = aeq_monotonic_ns()
        mailbox.take(into: &controls, vocabularyCount: equaliser.vocabularyCount)
        for c in 0..<Self.channelCount {
            guard let input = aeq_jack_port_get_buffer(inPorts[c], frames),
                  let output = aeq_jack_port_get_buffer(outPorts[c], frames) else { return }
            inputs[c] = UnsafePointer(input.assumingMemoryBound(to: Float.self))
            outputs[c] = output.assumingMemoryBound(to: Float.self)
        }
        equaliser.process(inputs: inputs, outputs: outputs, frameCount: Int(frames), controls: controls)
        let applied = equaliser.applied
        let n = EQSettings.parameterCount
        for i in 0..<n {
            let p = EQParameter(rawValue: i)!
            readout[i].store(applied.target[p].bitPattern, ordering: .relaxed)
            readout[n + i].store(applied.correction[p].bitPattern, ordering: .relaxed)
        }
        readout[2 * n].store(applied.loudnessGainDecibels.bitPattern, ordering: .relaxed)
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
