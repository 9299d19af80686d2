import AdaptiveEQVST3
import CMallocCounter
import CRetainCounter
import CVST3
import Foundation

/// Host-side objects the plugin calls (a memory stream, parameter changes and their
/// queues), laid out as the interface expects: the first word of each object is its vtable.
/// They keep their data in raw memory and never allocate or retain while the plugin calls
/// them, so allocation and retain counts during `process` are the plugin's own.

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
let resourceFolder = repositoryRoot + "/Sources/AdaptiveEQResources/Resources"

/// An IBStream over bytes in memory; reads return at most `chunk` bytes (hosts may return
/// short reads).
struct TestStream {
    var vtable: UnsafeRawPointer
    var bytes: UnsafeMutablePointer<UInt8>
    var capacity: Int
    var size: Int
    var position = 0
    var chunk: Int

    nonisolated(unsafe) static let vtableStorage: UnsafeMutablePointer<aeq_bstream_vtbl> = {
        let v = UnsafeMutablePointer<aeq_bstream_vtbl>.allocate(capacity: 1)
        v.initialize(to: aeq_bstream_vtbl(
            query_interface: { _, _, o in o?.pointee = nil; return -1 }, add_ref: { _ in 1 }, release: { _ in 1 },
            read: { this, buffer, count, got in
                let s = this!.assumingMemoryBound(to: TestStream.self)
                let n = max(0, min(Int(count), s.pointee.chunk, s.pointee.size - s.pointee.position))
                if n > 0 { buffer!.copyMemory(from: s.pointee.bytes + s.pointee.position, byteCount: n) }
                s.pointee.position += n
                got?.pointee = Int32(n)
                return 0
            },
            write: { this, buffer, count, wrote in
                let s = this!.assumingMemoryBound(to: TestStream.self)
                let n = max(0, min(Int(count), s.pointee.capacity - s.pointee.position))
                (s.pointee.bytes + s.pointee.position).update(from: buffer!.assumingMemoryBound(to: UInt8.self), count: n)
                s.pointee.position += n
                s.pointee.size = max(s.pointee.size, s.pointee.position)
                wrote?.pointee = Int32(n)
                return n > 0 || count == 0 ? 0 : 1
            },
            seek: { this, position, mode, result in
                let s = this!.assumingMemoryBound(to: TestStream.self)
                let base = mode == 0 ? 0 : mode == 1 ? s.pointee.position : s.pointee.size
                s.pointee.position = min(max(base + Int(position), 0), s.pointee.size)
                result?.pointee = Int64(s.pointee.position)
                return 0
            },
            tell: { this, position in
                position?.pointee = Int64(this!.assumingMemoryBound(to: TestStream.self).pointee.position)
                return 0
            }))
        return v
    }()

    /// Runs `body` with a stream holding `contents` (empty: for writing); returns what the
    /// stream holds afterwards.
    static func with(_ contents: [UInt8] = [], chunk: Int = 7, _ body: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        let capacity = 1 << 16
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { storage.deallocate() }
        storage.update(from: contents, count: min(contents.count, capacity))
        let s = UnsafeMutablePointer<TestStream>.allocate(capacity: 1)
        defer { s.deallocate() }
        s.initialize(to: TestStream(vtable: UnsafeRawPointer(vtableStorage), bytes: storage, capacity: capacity,
                                    size: min(contents.count, capacity), chunk: chunk))
        body(UnsafeMutableRawPointer(s))
        return Array(UnsafeBufferPointer(start: storage, count: s.pointee.size))
    }
}

/// One parameter's points for a block.
struct TestQueue {
    var vtable: UnsafeRawPointer
    var id: UInt32
    var count: Int32
    var offsets: UnsafeMutablePointer<Int32>
    var values: UnsafeMutablePointer<Double>

    static let capacity = 64
    nonisolated(unsafe) static let vtableStorage: UnsafeMutablePointer<aeq_param_value_queue_vtbl> = {
        let v = UnsafeMutablePointer<aeq_param_value_queue_vtbl>.allocate(capacity: 1)
        v.initialize(to: aeq_param_value_queue_vtbl(
            query_interface: { _, _, o in o?.pointee = nil; return -1 }, add_ref: { _ in 1 }, release: { _ in 1 },
            get_parameter_id: { $0!.assumingMemoryBound(to: TestQueue.self).pointee.id },
            get_point_count: { $0!.assumingMemoryBound(to: TestQueue.self).pointee.count },
            get_point: { this, index, offset, value in
                let q = this!.assumingMemoryBound(to: TestQueue.self)
                guard index >= 0 && index < q.pointee.count else { return 2 }
                offset?.pointee = q.pointee.offsets[Int(index)]
                value?.pointee = q.pointee.values[Int(index)]
                return 0
            },
            add_point: { this, offset, value, index in
                let q = this!.assumingMemoryBound(to: TestQueue.self)
                guard Int(q.pointee.count) < TestQueue.capacity else { return 1 }
                q.pointee.offsets[Int(q.pointee.count)] = offset
                q.pointee.values[Int(q.pointee.count)] = value
                index?.pointee = q.pointee.count
                q.pointee.count += 1
                return 0
            }))
        return v
    }()
}

/// IParameterChanges with room for `capacity` queues (input changes set by the test,
/// output changes added by the plugin).
final class TestChanges {
    struct Object {
        var vtable: UnsafeRawPointer
        var count: Int32
        var queues: UnsafeMutablePointer<TestQueue>
        var capacity: Int32
    }

    let object: UnsafeMutablePointer<Object>
    let offsets: UnsafeMutablePointer<Int32>
    let values: UnsafeMutablePointer<Double>

    nonisolated(unsafe) static let vtableStorage: UnsafeMutablePointer<aeq_parameter_changes_vtbl> = {
        let v = UnsafeMutablePointer<aeq_parameter_changes_vtbl>.allocate(capacity: 1)
        v.initialize(to: aeq_parameter_changes_vtbl(
            query_interface: { _, _, o in o?.pointee = nil; return -1 }, add_ref: { _ in 1 }, release: { _ in 1 },
            get_parameter_count: { $0!.assumingMemoryBound(to: Object.self).pointee.count },
            get_parameter_data: { this, index in
                let o = this!.assumingMemoryBound(to: Object.self)
                guard index >= 0 && index < o.pointee.count else { return nil }
                return UnsafeMutableRawPointer(o.pointee.queues + Int(index))
            },
            add_parameter_data: { this, id, index in
                let o = this!.assumingMemoryBound(to: Object.self)
                for i in 0..<Int(o.pointee.count) where o.pointee.queues[i].id == id!.pointee {
                    index?.pointee = Int32(i)
                    return UnsafeMutableRawPointer(o.pointee.queues + i)
                }
                guard o.pointee.count < o.pointee.capacity else { return nil }
                let i = Int(o.pointee.count)
                o.pointee.queues[i].id = id!.pointee
                o.pointee.queues[i].count = 0
                o.pointee.count += 1
                index?.pointee = Int32(i)
                return UnsafeMutableRawPointer(o.pointee.queues + i)
            }))
        return v
    }()

    init(capacity: Int = 64) {
        offsets = .allocate(capacity: capacity * TestQueue.capacity)
        values = .allocate(capacity: capacity * TestQueue.capacity)
        let queues = UnsafeMutablePointer<TestQueue>.allocate(capacity: capacity)
        for i in 0..<capacity {
            (queues + i).initialize(to: TestQueue(vtable: UnsafeRawPointer(TestQueue.vtableStorage), id: 0, count: 0,
                                                  offsets: offsets + i * TestQueue.capacity,
                                                  values: values + i * TestQueue.capacity))
        }
        object = .allocate(capacity: 1)
        object.initialize(to: Object(vtable: UnsafeRawPointer(Self.vtableStorage), count: 0, queues: queues,
                                     capacity: Int32(capacity)))
    }

    deinit {
        object.pointee.queues.deallocate(); object.deallocate(); offsets.deallocate(); values.deallocate()
    }

    var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(object) }

    func clear() { object.pointee.count = 0 }

    /// Adds a point (the queue of `id` is created when needed).
    func add(id: UInt32, offset: Int32, value: Double) {
        var i = 0
        while i < Int(object.pointee.count) && object.pointee.queues[i].id != id { i += 1 }
        if i == Int(object.pointee.count) {
            object.pointee.queues[i].id = id
            object.pointee.queues[i].count = 0
            object.pointee.count += 1
        }
        let q = object.pointee.queues + i
        q.pointee.offsets[Int(q.pointee.count)] = offset
        q.pointee.values[Int(q.pointee.count)] = value
        q.pointee.count += 1
    }

    /// The last point the plugin added for `id`, if any.
    func last(id: UInt32) -> Double? {
        for i in 0..<Int(object.pointee.count) where object.pointee.queues[i].id == id && object.pointee.queues[i].count > 0 {
            let q = object.pointee.queues[i]
            return q.values[Int(q.count) - 1]
        }
        return nil
    }
}

/// A plugin instance driven through its interfaces, as a host drives it.
final class TestPlugin {
    let component: UnsafeMutableRawPointer
    let processor: UnsafeMutableRawPointer
    let controller: UnsafeMutableRawPointer
    var c: aeq_component_vtbl { aeq_vtable(component).assumingMemoryBound(to: aeq_component_vtbl.self).pointee }
    var p: aeq_audio_processor_vtbl { aeq_vtable(processor).assumingMemoryBound(to: aeq_audio_processor_vtbl.self).pointee }
    var e: aeq_edit_controller_vtbl { aeq_vtable(controller).assumingMemoryBound(to: aeq_edit_controller_vtbl.self).pointee }
    let channels: Int
    let input = TestChanges()
    let output = TestChanges()
    /// Allocations and retain/release calls made inside `process` calls so far (this thread).
    var allocations: UInt64 = 0
    var refcounts: UInt64 = 0

    static func factory() -> UnsafeMutableRawPointer {
        VST3Module.resourceFolderOverride = resourceFolder
        return getPluginFactory()!
    }

    static func iid(_ id: InterfaceID) -> [UInt8] { id.bytes }

    /// Created, initialised; with `activate`, set up for `sampleRate`/`maxBlock`/`channels`,
    /// active and processing.
    init(channels: Int = 2, sampleRate: Double = 48_000, maxBlock: Int32 = 512, activate: Bool = true) {
        let factory = Self.factory()
        let fvt = aeq_vtable(factory).assumingMemoryBound(to: aeq_plugin_factory_vtbl.self).pointee
        var object: UnsafeMutableRawPointer?
        let componentIID: [UInt8] = [0xE8, 0x31, 0xFF, 0x31, 0xF2, 0xD5, 0x43, 0x01, 0x92, 0x8E, 0xBB, 0xEE, 0x25, 0x69, 0x78, 0x02]
        let status = fvt.create_instance(factory, InterfaceID.adaptiveEQClass.bytes, componentIID, &object)
        precondition(status == 0 && object != nil, "createInstance failed: \(status)")
        component = object!
        let cvt = aeq_vtable(component).assumingMemoryBound(to: aeq_component_vtbl.self).pointee
        var other: UnsafeMutableRawPointer?
        _ = cvt.query_interface(component, [0x42, 0x04, 0x3F, 0x99, 0xB7, 0xDA, 0x45, 0x3C, 0xA5, 0x69, 0xE7, 0x9D, 0x9A, 0xAE, 0xC3, 0x3D], &other)
        processor = other!
        _ = cvt.query_interface(component, [0xDC, 0xD7, 0xBB, 0xE3, 0x77, 0x42, 0x44, 0x8D, 0xA8, 0x74, 0xAA, 0xCC, 0x97, 0x9C, 0x75, 0x9E], &other)
        controller = other!
        self.channels = channels
        _ = cvt.initialize(component, nil)
        guard activate else { return }
        var arrangement: UInt64 = channels == 1 ? 1 << 19 : 0x3
        var out = arrangement
        _ = p.set_bus_arrangements(processor, &arrangement, 1, &out, 1)
        var setup = aeq_process_setup(process_mode: 2, symbolic_sample_size: 0, max_samples_per_block: maxBlock,
                                      sample_rate: sampleRate)
        _ = p.setup_processing(processor, &setup)
        _ = c.set_active(component, 1)
        _ = p.set_processing(processor, 1)
    }

    deinit {
        _ = p.set_processing(processor, 0)
        _ = c.set_active(component, 0)
        _ = c.terminate(component)
        _ = e.release(controller)
        _ = p.release(processor)
        _ = c.release(component)
    }

    /// Processes one block of `buffers` (in place when `outputs` is nil) with the points in
    /// `input`; returns the result code and the output silence flags.
    @discardableResult
    func process(_ inputs: [UnsafeMutablePointer<Float>], outputs: [UnsafeMutablePointer<Float>]? = nil, frames: Int,
                 silenceFlags: UInt64 = 0) -> (status: Int32, silence: UInt64) {
        let ins = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: channels)
        let outs = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: channels)
        defer { ins.deallocate(); outs.deallocate() }
        for ch in 0..<channels {
            ins[ch] = UnsafeMutableRawPointer(inputs[ch])
            outs[ch] = UnsafeMutableRawPointer((outputs ?? inputs)[ch])
        }
        var inBus = aeq_audio_bus_buffers(num_channels: Int32(channels), silence_flags: silenceFlags, buffers: ins)
        var outBus = aeq_audio_bus_buffers(num_channels: Int32(channels), silence_flags: 0, buffers: outs)
        output.clear()
        var data = aeq_process_data(process_mode: 2, symbolic_sample_size: 0, num_samples: Int32(frames), num_inputs: 1,
                                    num_outputs: 1, inputs: &inBus, outputs: &outBus,
                                    input_parameter_changes: input.pointer, output_parameter_changes: output.pointer,
                                    input_events: nil, output_events: nil, process_context: nil)
        let process = p.process!
        let a0 = aeq_thread_allocation_count(), r0 = aeq_thread_refcount_operations()
        let status = process(processor, &data)
        allocations += aeq_thread_allocation_count() - a0
        refcounts += aeq_thread_refcount_operations() - r0
        input.clear()
        return (status, outBus.silence_flags)
    }

    func state() -> [UInt8] { TestStream.with { _ = c.get_state(component, $0) } }

    func setState(_ bytes: [UInt8]) -> Int32 {
        var status: Int32 = -99
        _ = TestStream.with(bytes) { status = c.set_state(component, $0) }
        _ = TestStream.with(bytes) { _ = e.set_component_state(controller, $0) }
        return status
    }

    func text(id: UInt32, normalized: Double) -> String? {
        var buffer = [UInt16](repeating: 0, count: 128)
        guard e.get_param_string_by_value(controller, id, normalized, &buffer) == 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF16.self)
    }

    func normalized(id: UInt32, text: String) -> Double? {
        var value = 0.0
        let units = Array(text.utf16) + [0]
        return e.get_param_value_by_string(controller, id, units, &value) == 0 ? value : nil
    }

    func parameterInfo(_ index: Int) -> aeq_parameter_info? {
        var info = aeq_parameter_info()
        return e.get_parameter_info(controller, Int32(index), &info) == 0 ? info : nil
    }

    func normalizedValue(id: UInt32) -> Double { e.get_param_normalized(controller, id) }
}

/// Planar buffers that outlive a test's blocks.
final class Buffers {
    let channels: [UnsafeMutablePointer<Float>]
    let frames: Int
    init(_ data: [[Float]]) {
        frames = data[0].count
        channels = data.map { c in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: c.count)
            p.initialize(from: c, count: c.count)
            return p
        }
    }
    init(channels: Int, frames: Int) {
        self.frames = frames
        self.channels = (0..<channels).map { _ in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: frames)
            p.initialize(repeating: 0, count: frames)
            return p
        }
    }
    deinit { channels.forEach { $0.deallocate() } }
    func offset(_ n: Int) -> [UnsafeMutablePointer<Float>] { channels.map { $0 + n } }
    var arrays: [[Float]] { channels.map { Array(UnsafeBufferPointer(start: $0, count: frames)) } }
}
