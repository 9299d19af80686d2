import AdaptiveEQ
import CLV2
import EQDSP
import EQInference

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The LV2 entry points are free C functions; the instance lives behind a raw handle that
// points at a `PluginInstance`. Nothing here runs on the main actor or captures context.


/// The descriptors of all variants, built once (thread-safe lazy global), never written
/// after that and never freed.
nonisolated(unsafe) let pluginDescriptors: UnsafeMutablePointer<LV2_Descriptor> = {
    let d = UnsafeMutablePointer<LV2_Descriptor>.allocate(capacity: PluginVariant.allCases.count)
    for variant in PluginVariant.allCases {
        let uri = UnsafeRawPointer(variant.uri.utf8Start).assumingMemoryBound(to: CChar.self)
        (d + variant.rawValue).initialize(to: LV2_Descriptor(
            URI: uri, instantiate: pluginInstantiate, connect_port: pluginConnectPort,
            activate: pluginActivate, run: pluginRun, deactivate: pluginDeactivate,
            cleanup: pluginCleanup, extension_data: pluginExtensionData))
    }
    return d
}()

/// The library's only exported symbol: descriptor `index`, or NULL past the last one.
@_cdecl("lv2_descriptor")
public func lv2Descriptor(_ index: UInt32) -> UnsafePointer<LV2_Descriptor>? {
    guard Int(index) <= PluginVariant.mono.rawValue else { return nil }  // no allocation here
    return UnsafePointer(pluginDescriptors + Int(index))
}

/// One running plugin.
struct PluginInstance: ~Copyable {
    let layout: PortLayout
    /// Connected data location of every port, by index (nil until connected).
    let ports: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    let inputs: UnsafeMutablePointer<UnsafePointer<Float>>
    let outputs: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    var equaliser: HostEqualiser
    var controls = HostControls()
    /// Frames rendered since the response read-outs were last evaluated.
    var framesSinceResponse = Int.max

    init(variant: PluginVariant, sampleRateHz: Double, vocabulary: Vocabulary) {
        layout = variant.layout
        ports = .allocate(capacity: layout.portCount)
        ports.initialize(repeating: nil, count: layout.portCount)
        inputs = .allocate(capacity: layout.channelCount)
        outputs = .allocate(capacity: layout.channelCount)
        equaliser = HostEqualiser(vocabulary: vocabulary)
        equaliser.prepare(sampleRateHz: sampleRateHz, channelCount: layout.channelCount)
    }

    deinit {
        ports.deallocate(); inputs.deallocate(); outputs.deallocate()
    }

    @inline(__always)
    func control(_ index: Int) -> Float? {
        ports[index]?.assumingMemoryBound(to: Float.self).pointee
    }

    @inline(__always)
    func setOutput(_ index: Int, _ value: Float) {
        ports[index]?.assumingMemoryBound(to: Float.self).pointee = value
    }

    /// Real-time: reads the control ports, renders, writes the output control ports.
    mutating func run(frames: Int) {
        let vocabularyCount = equaliser.vocabularyCount
        for i in 0..<PortLayout.controlCount {
            if let v = control(layout.firstControl + i), let p = ControlParameter(rawValue: i) {
                controls.set(p, rawValue: v, vocabularyCount: vocabularyCount)
            }
        }
        for i in 0..<PortLayout.eqCount {
            if let v = control(layout.firstManual + i), let p = EQParameter(rawValue: i) {
                controls.setManual(p, rawValue: v)
            }
        }
        var connected = true
        for c in 0..<layout.channelCount {
            if let input = ports[c], let output = ports[layout.channelCount + c] {
                inputs[c] = UnsafePointer(input.assumingMemoryBound(to: Float.self))
                outputs[c] = output.assumingMemoryBound(to: Float.self)
            } else {
                connected = false
            }
        }
        if connected && frames > 0 {
            equaliser.process(inputs: inputs, outputs: outputs, frameCount: frames, controls: controls)
        }
        let applied = equaliser.applied
        for i in 0..<PortLayout.eqCount {
            if let p = EQParameter(rawValue: i) {
                setOutput(layout.firstTarget + i, applied.target[p])
                setOutput(layout.firstCorrection + i, applied.correction[p])
            }
        }
        setOutput(layout.latency, 0)
        setOutput(layout.loudnessGain, applied.loudnessGainDecibels)
        if framesSinceResponse >= PortLayout.responseUpdateFrames {
            framesSinceResponse = 0
            let limit = Double(PortLayout.responseLimitDecibels)
            for band in 0..<PortLayout.responseBandCount {
                let f = PortLayout.responseFrequencyHz(band)
                let db = f < 0.5 * equaliser.sampleRateHz
                    ? applied.magnitudeDecibels(atFrequency: f, sampleRateHz: equaliser.sampleRateHz) : 0
                setOutput(layout.firstResponse + band, Float(min(max(db, -limit), limit)))
            }
        }
        framesSinceResponse += frames
    }
}

/// Reads a whole file with POSIX calls (no Foundation); nil if it cannot be read.
public func readTextFile(_ path: String) -> String? { PluginResources.readTextFile(path) }

/// One line on stderr (instantiate only; hosts show it in their log).
func reportError(_ message: String) {
    var line = "adaptive-eq.lv2: \(message)\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// Loads the bundle's vocabulary (and model, when the bundle has one), or reports why not
/// on stderr. Shared by the plugin and the TTL generator, so both see the same words.
public func loadVocabulary(bundlePath: String) -> Vocabulary? {
    do { return try PluginResources.loadVocabulary(folder: bundlePath) } catch {
        reportError(error.description)
        return nil
    }
}

func pluginInstantiate(_ descriptor: UnsafePointer<LV2_Descriptor>?, _ sampleRate: Double,
                       _ bundlePath: UnsafePointer<CChar>?,
                       _ features: UnsafePointer<UnsafePointer<LV2_Feature>?>?) -> LV2_Handle? {
    guard let descriptor, let bundlePath, sampleRate.isFinite, sampleRate > 0 else { return nil }
    let index = UnsafePointer(pluginDescriptors).distance(to: descriptor)
    guard let variant = PluginVariant(rawValue: index),
          let vocabulary = loadVocabulary(bundlePath: String(cString: bundlePath)) else { return nil }
    let instance = UnsafeMutablePointer<PluginInstance>.allocate(capacity: 1)
    instance.initialize(to: PluginInstance(variant: variant, sampleRateHz: sampleRate, vocabulary: vocabulary))
    return LV2_Handle(instance)
}

func pluginConnectPort(_ handle: LV2_Handle?, _ port: UInt32, _ data: UnsafeMutableRawPointer?) {
    guard let instance = handle?.assumingMemoryBound(to: PluginInstance.self),
          Int(port) < instance.pointee.layout.portCount else { return }
    instance.pointee.ports[Int(port)] = data
}

func pluginActivate(_ handle: LV2_Handle?) {
    handle?.assumingMemoryBound(to: PluginInstance.self).pointee.equaliser.reset()
}

func pluginRun(_ handle: LV2_Handle?, _ sampleCount: UInt32) {
    handle?.assumingMemoryBound(to: PluginInstance.self).pointee.run(frames: Int(sampleCount))
}

func pluginDeactivate(_ handle: LV2_Handle?) {}

func pluginCleanup(_ handle: LV2_Handle?) {
    guard let instance = handle?.assumingMemoryBound(to: PluginInstance.self) else { return }
    instance.deinitialize(count: 1)
    instance.deallocate()
}

func pluginExtensionData(_ uri: UnsafePointer<CChar>?) -> UnsafeRawPointer? { nil }
