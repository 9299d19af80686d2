import AdaptiveEQ
import AdaptiveEQLV2
import AdaptiveEQLive
import EQDSP
import CMallocCounter
import Foundation
import Synchronization
import Testing

@Suite struct LiveCommandTests {
    @Test func commandsChangeTheControls() throws {
        let words = try staticTerms().terms.map(\.word)
        let parser = LiveCommandParser(words: words)
        var c = HostControls()
        #expect(parser.apply("term bright", to: &c) == .changed("term = bright"))
        #expect(c.term == words.firstIndex(of: "bright"))
        _ = parser.apply("intensity 0.25", to: &c)
        #expect(c.intensity == 0.25)
        _ = parser.apply("mode static", to: &c)
        #expect(c.mode == .static)
        _ = parser.apply("enabled off", to: &c)
        #expect(!c.enabled)
        _ = parser.apply("eq -6,100,0,300,0.71,0,1000,0.71,0,3000,0.71,2,8000", to: &c)
        #expect(c.mode == .manual && c.manual.g1 == -6 && c.manual.g5 == 2)
        _ = parser.apply("g2 3.5", to: &c)
        #expect(c.manual.g2 == 3.5)
        #expect(parser.apply("status", to: &c) == .status)
        #expect(parser.apply("quit", to: &c) == .quit)
        guard case .error(let message) = parser.apply("term brigth", to: &c) else { Issue.record("no error"); return }
        #expect(message.contains("bright"))
        guard case .error = parser.apply("intensity 2", to: &c) else { Issue.record("no error"); return }
        #expect(c.intensity == 0.25)
        // Lines sent with "\r\n" (telnet, netcat, Windows tools) work as they are.
        #expect(parser.apply("intensity 0.5\r", to: &c) == .changed("intensity = 0.5") && c.intensity == 0.5)
        #expect(parser.apply("quit\r", to: &c) == .quit && parser.apply("status\r", to: &c) == .status)
        // A mistyped command is unknown, with a suggestion, whatever follows it.
        for (line, suggestion) in [("quti", "quit"), ("statsu", "status"), ("intensty 0.5", "intensity")] {
            guard case .error(let m) = parser.apply(line, to: &c) else { Issue.record("\(line): no error"); continue }
            #expect(m.contains("unknown command") && m.contains("did you mean \(suggestion)?"), "\(line): \(m)")
        }
        // eq values may be spaced after their commas.
        _ = parser.apply("eq -3, 100, 0, 300, 0.71, 0, 1000, 0.71, 0, 3000, 0.71, 1, 8000", to: &c)
        #expect(c.manual.g1 == -3 && c.manual.g5 == 1)
        // Junk is quoted short and escaped: one short line.
        guard case .error(let junk) = parser.apply("\u{01}" + String(repeating: "a", count: 10_000), to: &c) else { Issue.record("no error"); return }
        #expect(junk.count < 120 && junk.contains("\\u{1}") && !junk.contains("\u{01}"), "\(junk)")
    }
}

/// The live client's control path with a change every millisecond, in process: a second
/// thread posts a new set of controls every 1 ms (word warm/bright, intensity and blend
/// stepping together) while this thread renders 1 ms blocks the way the JACK callback does
/// (take the latest set from the mailbox, then `HostEqualiser.process`). After the first block
/// nothing on the rendering thread allocates, every set it takes is one that was posted
/// (never half of one and half of the next), and the changes get through.
@Suite struct LiveControlBurstTests {
    struct Shared: @unchecked Sendable {
        let mailbox: UnsafeMutablePointer<ControlMailbox>
        let done: UnsafeMutablePointer<Atomic<Bool>>
    }

    @Test(.enabled(if: aeq_allocation_counting_available() != 0), arguments: [EqualiserMode.static, .adaptive])
    func controlChangeEveryMillisecond(mode: EqualiserMode) throws {
        let vocabulary = try #require(loadVocabulary(bundlePath: repositoryRoot + "/Sources/AdaptiveEQResources/Resources/"))
        let warm = try #require(vocabulary.words.firstIndex(of: "warm"))
        let bright = try #require(vocabulary.words.firstIndex(of: "bright"))
        let rate = 48_000, block = 48, changes = 1500
        var equaliser = HostEqualiser(vocabulary: vocabulary)
        equaliser.prepare(sampleRateHz: Double(rate), channelCount: 2)
        let shared = Shared(mailbox: .allocate(capacity: 1), done: .allocate(capacity: 1))
        shared.mailbox.initialize(to: ControlMailbox())
        shared.done.initialize(to: Atomic(false))
        defer {
            shared.mailbox.deinitialize(count: 1); shared.mailbox.deallocate()
            shared.done.deinitialize(count: 1); shared.done.deallocate()
        }
        var controls = HostControls()
        controls.mode = mode
        controls.term = warm
        shared.mailbox.pointee.post(controls)

        let signal = Audio.testSignal(sampleRate: rate, channels: 2, seconds: 0.5, seed: 5).channels
        let inputs = UnsafeMutablePointer<UnsafePointer<Float>>.allocate(capacity: 2)
        let outputs = UnsafeMutablePointer<UnsafeMutablePointer<Float>>.allocate(capacity: 2)
        let storage = signal.map { c -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: c.count); p.initialize(from: c, count: c.count); return p
        }
        let out = (0..<2).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: block) }
        defer { inputs.deallocate(); outputs.deallocate(); storage.forEach { $0.deallocate() }; out.forEach { $0.deallocate() } }
        for c in 0..<2 { outputs[c] = out[c] }
        let frames = signal[0].count

        let poster = Thread {
            var c = HostControls()
            c.mode = mode
            let start = DispatchTime.now().uptimeNanoseconds
            for i in 0..<changes {
                c.term = (i / 7) % 2 == 0 ? warm : bright
                c.intensity = Float(i % 100) / 100
                c.blend = 1 - c.intensity  // a torn read would break intensity + blend = 1
                shared.mailbox.pointee.post(c)
                let due = start + UInt64(i + 1) * 1_000_000, now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(UInt32((due - now) / 1000)) }
            }
            shared.done.pointee.store(true, ordering: .releasing)
        }

        var position = 0
        func render() {
            for c in 0..<2 { inputs[c] = UnsafePointer(storage[c] + position) }
            shared.mailbox.pointee.take(into: &controls, vocabularyCount: equaliser.vocabularyCount)
            equaliser.process(inputs: inputs, outputs: outputs, frameCount: block, controls: controls)
            position = (position + block) % (frames - block)
        }
        render()
        poster.start()
        var allocations: UInt64 = 0, blocks = 0, seen = 0, torn = 0, nonFinite = 0
        var previous = controls
        while !shared.done.pointee.load(ordering: .acquiring) {
            let before = aeq_thread_allocation_count()
            render()
            allocations += aeq_thread_allocation_count() - before
            blocks += 1
            if controls != previous {
                seen += 1
                if abs(controls.intensity + controls.blend - 1) > 1e-5 { torn += 1 }
                previous = controls
            }
            for c in 0..<2 where !out[c][0].isFinite || !out[c][block - 1].isFinite { nonFinite += 1 }
            usleep(1000)
        }
        poster.join()
        print("\(mode) mode: \(blocks) blocks of 1 ms, \(seen) of \(changes) control sets taken, \(torn) torn, \(allocations) allocations")
        #expect(allocations == 0, "the render path allocated \(allocations) times")
        #expect(torn == 0, "\(torn) sets mixed two posts")
        #expect(nonFinite == 0)
        // Blocks run about once per millisecond, so most sets are taken (at least a third
        // even on a loaded machine).
        #expect(seen >= changes / 3, "only \(seen) of \(changes) changes arrived")
    }
}

extension Thread {
    /// Waits for a thread started with `start()` to finish.
    func join() { while !isFinished { usleep(1000) } }
}
