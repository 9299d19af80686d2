import AdaptiveEQ
import CVST3
import EQCore

// The module's C entry points, the factory and the vtables of the plugin object. Every
// function here is a free function (never a closure: hosts call these on their own
// threads), recovers its instance from the interface pointer and forwards to `PluginCore`.

// MARK: - module entry points

/// The factory hosts ask for first. It is static: reference counting is a no-op.
@_cdecl("GetPluginFactory")
public func getPluginFactory() -> UnsafeMutableRawPointer? {
    UnsafeMutableRawPointer(factoryObject)
}

/// Called once after the host loads the module (Linux). Nothing to do: resources are read
/// per instance.
@_cdecl("ModuleEntry")
public func moduleEntry(_ handle: UnsafeMutableRawPointer?) -> Bool { true }

/// Called before the host unloads the module.
@_cdecl("ModuleExit")
public func moduleExit() -> Bool { true }

// MARK: - factory

/// An object whose first word is the factory's vtable.
nonisolated(unsafe) let factoryObject: UnsafeMutablePointer<UnsafeRawPointer> = {
    let vtable = UnsafeMutablePointer<aeq_plugin_factory_vtbl>.allocate(capacity: 1)
    vtable.initialize(to: aeq_plugin_factory_vtbl(
        query_interface: factoryQueryInterface, add_ref: staticAddRef, release: staticRelease,
        get_factory_info: factoryInfo, count_classes: factoryClassCount, get_class_info: factoryClassInfo,
        create_instance: factoryCreateInstance, get_class_info2: factoryClassInfo2))
    let object = UnsafeMutablePointer<UnsafeRawPointer>.allocate(capacity: 1)
    object.initialize(to: UnsafeRawPointer(vtable))
    return object
}()

func staticAddRef(_ this: UnsafeMutableRawPointer?) -> UInt32 { 1 }
func staticRelease(_ this: UnsafeMutableRawPointer?) -> UInt32 { 1 }

func factoryQueryInterface(_ this: UnsafeMutableRawPointer?, _ iid: UnsafePointer<UInt8>?,
                           _ object: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guard let object else { return TResult.invalidArgument }
    if InterfaceID.funknown.matches(iid) || InterfaceID.pluginFactory.matches(iid) || InterfaceID.pluginFactory2.matches(iid) {
        object.pointee = this
        return TResult.ok
    }
    object.pointee = nil
    return TResult.noInterface
}

func factoryInfo(_ this: UnsafeMutableRawPointer?, _ info: UnsafeMutablePointer<aeq_factory_info>?) -> Int32 {
    guard let info else { return TResult.invalidArgument }
    ParameterText.writeC(VST3Module.vendor, to: &info.pointee.vendor)
    ParameterText.writeC("", to: &info.pointee.url)
    ParameterText.writeC("", to: &info.pointee.email)
    info.pointee.flags = 0
    return TResult.ok
}

func factoryClassCount(_ this: UnsafeMutableRawPointer?) -> Int32 { 1 }

func factoryClassInfo(_ this: UnsafeMutableRawPointer?, _ index: Int32, _ info: UnsafeMutablePointer<aeq_class_info>?) -> Int32 {
    guard index == 0, let info else { return TResult.invalidArgument }
    withUnsafeMutablePointer(to: &info.pointee.cid) {
        $0.withMemoryRebound(to: UInt8.self, capacity: 16) { InterfaceID.adaptiveEQClass.write(to: $0) }
    }
    info.pointee.cardinality = 0x7FFF_FFFF
    ParameterText.writeC("Audio Module Class", to: &info.pointee.category)
    ParameterText.writeC(VST3Module.name, to: &info.pointee.name)
    return TResult.ok
}

func factoryClassInfo2(_ this: UnsafeMutableRawPointer?, _ index: Int32, _ info: UnsafeMutablePointer<aeq_class_info2>?) -> Int32 {
    guard let info else { return TResult.invalidArgument }
    // PClassInfo2 begins with PClassInfo's fields, in the same layout.
    var basic = aeq_class_info()
    let status = factoryClassInfo(this, index, &basic)
    guard status == TResult.ok else { return status }
    UnsafeMutableRawPointer(info).copyMemory(from: &basic, byteCount: MemoryLayout<aeq_class_info>.size)
    info.pointee.class_flags = 0
    ParameterText.writeC(VST3Module.subCategories, to: &info.pointee.sub_categories)
    ParameterText.writeC(VST3Module.vendor, to: &info.pointee.vendor)
    ParameterText.writeC(VST3Module.version, to: &info.pointee.version)
    ParameterText.writeC("VST 3.7.0", to: &info.pointee.sdk_version)
    return TResult.ok
}

func factoryCreateInstance(_ this: UnsafeMutableRawPointer?, _ cid: UnsafePointer<UInt8>?, _ iid: UnsafePointer<UInt8>?,
                           _ object: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guard let object else { return TResult.invalidArgument }
    object.pointee = nil
    guard InterfaceID.adaptiveEQClass.matches(cid) else { return TResult.noInterface }
    let words: WordSlots
    do { words = try WordSlots(folder: VST3Module.resourceFolder) } catch {
        reportError(error.description)
        return TResult.internalError
    }
    let core = UnsafeMutablePointer<PluginCore>.allocate(capacity: 1)
    core.initialize(to: PluginCore(words: words))
    let plugin = UnsafeMutablePointer<aeq_plugin_object>.allocate(capacity: 1)
    plugin.initialize(to: aeq_plugin_object(component: componentVtable, processor: processorVtable,
                                            controller: controllerVtable, reference_count: 0, state: core))
    let result = queryPlugin(plugin, iid, object)
    if plugin.pointee.reference_count == 0 { destroy(plugin) }
    return result
}

// MARK: - plugin object

/// The interface of `plugin` that `iid` names, with a reference added.
func queryPlugin(_ plugin: UnsafeMutablePointer<aeq_plugin_object>, _ iid: UnsafePointer<UInt8>?,
                 _ object: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guard let object else { return TResult.invalidArgument }
    let base = UnsafeMutableRawPointer(plugin)
    let field: PartialKeyPath<aeq_plugin_object>?
    if InterfaceID.funknown.matches(iid) || InterfaceID.pluginBase.matches(iid) || InterfaceID.component.matches(iid) {
        field = \aeq_plugin_object.component
    } else if InterfaceID.audioProcessor.matches(iid) {
        field = \aeq_plugin_object.processor
    } else if InterfaceID.editController.matches(iid) {
        field = \aeq_plugin_object.controller
    } else {
        field = nil
    }
    guard let field, let offset = MemoryLayout<aeq_plugin_object>.offset(of: field) else {
        object.pointee = nil
        return TResult.noInterface
    }
    _ = aeq_atomic_increment(&plugin.pointee.reference_count)
    object.pointee = base + offset
    return TResult.ok
}

func destroy(_ plugin: UnsafeMutablePointer<aeq_plugin_object>) {
    let core = plugin.pointee.state.assumingMemoryBound(to: PluginCore.self)
    core.deinitialize(count: 1)
    core.deallocate()
    plugin.deinitialize(count: 1)
    plugin.deallocate()
}

func addRef(_ plugin: UnsafeMutablePointer<aeq_plugin_object>) -> UInt32 {
    aeq_atomic_increment(&plugin.pointee.reference_count)
}

func release(_ plugin: UnsafeMutablePointer<aeq_plugin_object>) -> UInt32 {
    let left = aeq_atomic_decrement(&plugin.pointee.reference_count)
    if left == 0 { destroy(plugin) }
    return left
}

@inline(__always) func component(_ this: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<aeq_plugin_object> {
    aeq_plugin_object_from_component(this)
}
@inline(__always) func processor(_ this: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<aeq_plugin_object> {
    aeq_plugin_object_from_processor(this)
}
@inline(__always) func controller(_ this: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<aeq_plugin_object> {
    aeq_plugin_object_from_controller(this)
}
@inline(__always) func core(_ plugin: UnsafeMutablePointer<aeq_plugin_object>) -> UnsafeMutablePointer<PluginCore> {
    plugin.pointee.state.assumingMemoryBound(to: PluginCore.self)
}

// MARK: - streams

/// Everything `stream` holds, read in chunks (hosts may return short reads); nil when it
/// holds more than `limit` bytes.
func readStream(_ stream: UnsafeMutableRawPointer, limit: Int) -> [UInt8]? {
    let vt = aeq_vtable(stream).assumingMemoryBound(to: aeq_bstream_vtbl.self)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count <= limit {
        var got: Int32 = 0
        let result = chunk.withUnsafeMutableBytes { vt.pointee.read(stream, $0.baseAddress, Int32($0.count), &got) }
        guard result == TResult.ok, got > 0 else { break }
        bytes += chunk[0..<Int(min(got, Int32(chunk.count)))]
    }
    return bytes.count > limit ? nil : bytes
}

/// Writes all of `bytes` to `stream`; false when the host stopped taking them.
func writeStream(_ stream: UnsafeMutableRawPointer, _ bytes: [UInt8]) -> Bool {
    let vt = aeq_vtable(stream).assumingMemoryBound(to: aeq_bstream_vtbl.self)
    var done = 0
    while done < bytes.count {
        var wrote: Int32 = 0
        let result = bytes.withUnsafeBytes {
            vt.pointee.write(stream, $0.baseAddress! + done, Int32(bytes.count - done), &wrote)
        }
        guard result == TResult.ok, wrote > 0 else { return false }
        done += Int(wrote)
    }
    return true
}

// MARK: - IComponent

nonisolated(unsafe) let componentVtable: UnsafeMutablePointer<aeq_component_vtbl> = {
    let v = UnsafeMutablePointer<aeq_component_vtbl>.allocate(capacity: 1)
    v.initialize(to: aeq_component_vtbl(
        query_interface: { queryPlugin(component($0), $1, $2) }, add_ref: { addRef(component($0)) },
        release: { release(component($0)) }, initialize: pluginInitialize, terminate: pluginTerminate,
        get_controller_class_id: componentControllerClassID, set_io_mode: { _, _ in TResult.ok },
        get_bus_count: componentBusCount, get_bus_info: componentBusInfo,
        get_routing_info: { _, _, _ in TResult.notImplemented }, activate_bus: { _, _, _, _, _ in TResult.ok },
        set_active: componentSetActive, set_state: componentSetState, get_state: componentGetState))
    return v
}()

/// Everything is loaded when the instance is created, so initialising changes nothing: hosts
/// call this on the component and on the controller, sometimes twice, and state stays as it is.
func pluginInitialize(_ this: UnsafeMutableRawPointer?, _ context: UnsafeMutableRawPointer?) -> Int32 { TResult.ok }

func pluginTerminate(_ this: UnsafeMutableRawPointer?) -> Int32 { TResult.ok }

func componentControllerClassID(_ this: UnsafeMutableRawPointer?, _ classID: UnsafeMutablePointer<UInt8>?) -> Int32 {
    // A single-component effect: the component is its own controller.
    if let classID { classID.update(repeating: 0, count: 16) }
    return TResult.resultFalse
}

func componentBusCount(_ this: UnsafeMutableRawPointer?, _ mediaType: Int32, _ direction: Int32) -> Int32 {
    mediaType == 0 && (direction == 0 || direction == 1) ? 1 : 0
}

func componentBusInfo(_ this: UnsafeMutableRawPointer?, _ mediaType: Int32, _ direction: Int32, _ index: Int32,
                      _ bus: UnsafeMutablePointer<aeq_bus_info>?) -> Int32 {
    guard let bus else { return TResult.invalidArgument }
    return core(component(this)).pointee.busInfo(mediaType: mediaType, direction: direction, index: index, into: bus)
}

func componentSetActive(_ this: UnsafeMutableRawPointer?, _ state: UInt8) -> Int32 {
    core(component(this)).pointee.setActive(state != 0)
}

func componentSetState(_ this: UnsafeMutableRawPointer?, _ stream: UnsafeMutableRawPointer?) -> Int32 {
    guard let stream else { return TResult.invalidArgument }
    guard let bytes = readStream(stream, limit: PluginCore.maximumStateBytes) else {
        reportError("settings refused: larger than \(PluginCore.maximumStateBytes) bytes")
        return TResult.resultFalse
    }
    return core(component(this)).pointee.load(bytes, toProcessor: true)
}

func componentGetState(_ this: UnsafeMutableRawPointer?, _ stream: UnsafeMutableRawPointer?) -> Int32 {
    guard let stream else { return TResult.invalidArgument }
    return writeStream(stream, core(component(this)).pointee.stateBytes()) ? TResult.ok : TResult.resultFalse
}

// MARK: - IAudioProcessor

nonisolated(unsafe) let processorVtable: UnsafeMutablePointer<aeq_audio_processor_vtbl> = {
    let v = UnsafeMutablePointer<aeq_audio_processor_vtbl>.allocate(capacity: 1)
    v.initialize(to: aeq_audio_processor_vtbl(
        query_interface: { queryPlugin(processor($0), $1, $2) }, add_ref: { addRef(processor($0)) },
        release: { release(processor($0)) }, set_bus_arrangements: processorSetBusArrangements,
        get_bus_arrangement: processorGetBusArrangement, can_process_sample_size: { _, size in size == 0 ? TResult.resultTrue : TResult.resultFalse },
        get_latency_samples: { _ in 0 }, setup_processing: processorSetupProcessing,
        set_processing: processorSetProcessing, process: processorProcess, get_tail_samples: { _ in 0 }))
    return v
}()

func processorSetBusArrangements(_ this: UnsafeMutableRawPointer?, _ inputs: UnsafeMutablePointer<UInt64>?, _ inputCount: Int32,
                                 _ outputs: UnsafeMutablePointer<UInt64>?, _ outputCount: Int32) -> Int32 {
    core(processor(this)).pointee.setBusArrangements(inputs, inputCount, outputs, outputCount)
}

func processorGetBusArrangement(_ this: UnsafeMutableRawPointer?, _ direction: Int32, _ index: Int32,
                                _ arrangement: UnsafeMutablePointer<UInt64>?) -> Int32 {
    guard index == 0, direction == 0 || direction == 1, let arrangement else { return TResult.invalidArgument }
    arrangement.pointee = core(processor(this)).pointee.arrangement
    return TResult.ok
}

func processorSetupProcessing(_ this: UnsafeMutableRawPointer?, _ setup: UnsafeMutablePointer<aeq_process_setup>?) -> Int32 {
    guard let setup else { return TResult.invalidArgument }
    return core(processor(this)).pointee.setupProcessing(setup.pointee)
}

func processorSetProcessing(_ this: UnsafeMutableRawPointer?, _ state: UInt8) -> Int32 {
    core(processor(this)).pointee.processing = state != 0
    return TResult.ok
}

/// The audio thread's entry: real-time safe (see `PluginCore.process`).
func processorProcess(_ this: UnsafeMutableRawPointer?, _ data: UnsafeMutablePointer<aeq_process_data>?) -> Int32 {
    guard let data else { return TResult.invalidArgument }
    return core(processor(this)).pointee.process(data)
}

// MARK: - IEditController

nonisolated(unsafe) let controllerVtable: UnsafeMutablePointer<aeq_edit_controller_vtbl> = {
    let v = UnsafeMutablePointer<aeq_edit_controller_vtbl>.allocate(capacity: 1)
    v.initialize(to: aeq_edit_controller_vtbl(
        query_interface: { queryPlugin(controller($0), $1, $2) }, add_ref: { addRef(controller($0)) },
        release: { release(controller($0)) },
        initialize: pluginInitialize,
        terminate: { _ in TResult.ok }, set_component_state: controllerSetComponentState,
        // The controller keeps no state of its own: hosts skip a getState that returns false.
        set_state: { _, _ in TResult.ok }, get_state: { _, _ in TResult.resultFalse },
        get_parameter_count: { _ in Int32(VST3Parameter.all.count) }, get_parameter_info: controllerParameterInfo,
        get_param_string_by_value: controllerStringByValue, get_param_value_by_string: controllerValueByString,
        normalized_param_to_plain: controllerToPlain, plain_param_to_normalized: controllerToNormalized,
        get_param_normalized: { this, id in core(controller(this)).pointee.parameterNormalized(id: id) },
        set_param_normalized: { this, id, v in core(controller(this)).pointee.setParameterNormalized(id: id, v) },
        set_component_handler: { _, _ in TResult.ok }, create_view: { _, _ in nil }))
    return v
}()

func controllerSetComponentState(_ this: UnsafeMutableRawPointer?, _ stream: UnsafeMutableRawPointer?) -> Int32 {
    guard let stream else { return TResult.invalidArgument }
    guard let bytes = readStream(stream, limit: PluginCore.maximumStateBytes) else { return TResult.resultFalse }
    return core(controller(this)).pointee.load(bytes, toProcessor: false)
}

func controllerParameterInfo(_ this: UnsafeMutableRawPointer?, _ index: Int32, _ info: UnsafeMutablePointer<aeq_parameter_info>?) -> Int32 {
    guard let info else { return TResult.invalidArgument }
    return core(controller(this)).pointee.parameterInfo(index, into: info)
}

func controllerStringByValue(_ this: UnsafeMutableRawPointer?, _ id: UInt32, _ value: Double,
                             _ string: UnsafeMutablePointer<UInt16>?) -> Int32 {
    guard let string, let text = core(controller(this)).pointee.text(id: id, normalized: value) else {
        return TResult.invalidArgument
    }
    ParameterText.write(text, to: string)
    return TResult.ok
}

func controllerValueByString(_ this: UnsafeMutableRawPointer?, _ id: UInt32, _ string: UnsafePointer<UInt16>?,
                             _ value: UnsafeMutablePointer<Double>?) -> Int32 {
    guard let string, let value,
          let v = core(controller(this)).pointee.normalized(id: id, text: ParameterText.read(string)) else {
        return TResult.resultFalse
    }
    value.pointee = v
    return TResult.ok
}

func controllerToPlain(_ this: UnsafeMutableRawPointer?, _ id: UInt32, _ value: Double) -> Double {
    guard let p = VST3Parameter(id: id) else { return 0 }
    return p.plain(value, wordCount: core(controller(this)).pointee.wordCount)
}

func controllerToNormalized(_ this: UnsafeMutableRawPointer?, _ id: UInt32, _ value: Double) -> Double {
    guard let p = VST3Parameter(id: id) else { return 0 }
    return p.normalized(value, wordCount: core(controller(this)).pointee.wordCount)
}
