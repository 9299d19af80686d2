import CVST3
import Testing

/// The declared structures have the sizes and field offsets of the VST 3 interface on
/// Linux x86-64 (natural alignment), so hosts and the plugin read the same bytes.
@Suite struct ABITests {
    @Test func structureSizes() {
        #expect(MemoryLayout<aeq_factory_info>.size == 452)
        #expect(MemoryLayout<aeq_class_info>.size == 116)
        #expect(MemoryLayout<aeq_class_info2>.size == 440)
        #expect(MemoryLayout<aeq_bus_info>.size == 276)
        #expect(MemoryLayout<aeq_parameter_info>.size == 792)
        #expect(MemoryLayout<aeq_process_setup>.size == 24)
        #expect(MemoryLayout<aeq_audio_bus_buffers>.size == 24)
        #expect(MemoryLayout<aeq_process_data>.size == 80)
    }

    @Test func parameterInfoOffsets() {
        typealias P = aeq_parameter_info
        #expect(MemoryLayout<P>.alignment == 8)
        #expect(MemoryLayout<P>.offset(of: \.id) == 0)
        #expect(MemoryLayout<P>.offset(of: \.title) == 4)
        #expect(MemoryLayout<P>.offset(of: \.short_title) == 260)
        #expect(MemoryLayout<P>.offset(of: \.units) == 516)
        #expect(MemoryLayout<P>.offset(of: \.step_count) == 772)
        #expect(MemoryLayout<P>.offset(of: \.default_normalized_value) == 776)
        #expect(MemoryLayout<P>.offset(of: \.unit_id) == 784)
        #expect(MemoryLayout<P>.offset(of: \.flags) == 788)
    }

    @Test func processOffsets() {
        typealias D = aeq_process_data
        #expect(MemoryLayout<D>.offset(of: \.num_samples) == 8)
        #expect(MemoryLayout<D>.offset(of: \.num_outputs) == 16)
        #expect(MemoryLayout<D>.offset(of: \.inputs) == 24)
        #expect(MemoryLayout<D>.offset(of: \.outputs) == 32)
        #expect(MemoryLayout<D>.offset(of: \.input_parameter_changes) == 40)
        #expect(MemoryLayout<D>.offset(of: \.output_parameter_changes) == 48)
        #expect(MemoryLayout<D>.offset(of: \.process_context) == 72)
        typealias B = aeq_audio_bus_buffers
        #expect(MemoryLayout<B>.offset(of: \.num_channels) == 0)
        #expect(MemoryLayout<B>.offset(of: \.silence_flags) == 8)
        #expect(MemoryLayout<B>.offset(of: \.buffers) == 16)
        typealias S = aeq_process_setup
        #expect(MemoryLayout<S>.offset(of: \.max_samples_per_block) == 8)
        #expect(MemoryLayout<S>.offset(of: \.sample_rate) == 16)
    }

    @Test func infoOffsets() {
        #expect(MemoryLayout<aeq_factory_info>.offset(of: \.flags) == 448)
        #expect(MemoryLayout<aeq_class_info>.offset(of: \.cardinality) == 16)
        #expect(MemoryLayout<aeq_class_info>.offset(of: \.name) == 52)
        #expect(MemoryLayout<aeq_class_info2>.offset(of: \.class_flags) == 116)
        #expect(MemoryLayout<aeq_class_info2>.offset(of: \.sub_categories) == 120)
        #expect(MemoryLayout<aeq_class_info2>.offset(of: \.sdk_version) == 376)
        #expect(MemoryLayout<aeq_bus_info>.offset(of: \.name) == 12)
        #expect(MemoryLayout<aeq_bus_info>.offset(of: \.bus_type) == 268)
        #expect(MemoryLayout<aeq_bus_info>.offset(of: \.flags) == 272)
    }

    @Test func interfacePointersFindTheirObject() {
        var object = aeq_plugin_object()
        withUnsafeMutablePointer(to: &object) { o in
            let raw = UnsafeMutableRawPointer(o)
            #expect(aeq_plugin_object_from_component(raw + MemoryLayout<aeq_plugin_object>.offset(of: \.component)!) == o)
            #expect(aeq_plugin_object_from_processor(raw + MemoryLayout<aeq_plugin_object>.offset(of: \.processor)!) == o)
            #expect(aeq_plugin_object_from_controller(raw + MemoryLayout<aeq_plugin_object>.offset(of: \.controller)!) == o)
        }
    }
}

extension ABITests {
    /// The plugin fills PClassInfo2 by copying PClassInfo over its first fields.
    @Test func classInfo2BeginsWithClassInfo() {
        #expect(MemoryLayout<aeq_class_info2>.offset(of: \.cid) == MemoryLayout<aeq_class_info>.offset(of: \.cid))
        #expect(MemoryLayout<aeq_class_info2>.offset(of: \.cardinality) == MemoryLayout<aeq_class_info>.offset(of: \.cardinality))
        #expect(MemoryLayout<aeq_class_info2>.offset(of: \.category) == MemoryLayout<aeq_class_info>.offset(of: \.category))
        #expect(MemoryLayout<aeq_class_info2>.offset(of: \.name) == MemoryLayout<aeq_class_info>.offset(of: \.name))
        #expect(MemoryLayout<aeq_class_info2>.offset(of: \.class_flags) == MemoryLayout<aeq_class_info>.size)
    }
}
