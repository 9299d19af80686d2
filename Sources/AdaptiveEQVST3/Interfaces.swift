import AdaptiveEQ
import CVST3

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 16-byte interface or class id, written as its four 32-bit words in hex; on Linux the
/// bytes are in the order the digits read.
public struct InterfaceID: Equatable, Sendable {
    public let bytes: [UInt8]

    public init(_ hex: String) {
        let digits = hex.filter { $0 != " " }.map { UInt8(String($0), radix: 16)! }
        precondition(digits.count == 32, "an id is 32 hex digits")
        bytes = stride(from: 0, to: 32, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// Whether the 16 bytes at `pointer` are this id.
    func matches(_ pointer: UnsafePointer<UInt8>?) -> Bool {
        guard let pointer else { return false }
        return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, pointer, 16) == 0 }
    }

    func write(to pointer: UnsafeMutablePointer<UInt8>) {
        for i in 0..<16 { pointer[i] = bytes[i] }
    }

    static let funknown = InterfaceID("00000000 00000000 C0000000 00000046")
    static let pluginBase = InterfaceID("22888DDB 156E45AE 8358B348 08190625")
    static let pluginFactory = InterfaceID("7A4D811C 52114A1F AED9D2EE 0B43BF9F")
    static let pluginFactory2 = InterfaceID("0007B650 F24B4C0B A464EDB9 F00B2ABB")
    static let component = InterfaceID("E831FF31 F2D54301 928EBBEE 25697802")
    static let audioProcessor = InterfaceID("42043F99 B7DA453C A569E79D 9AAEC33D")
    static let editController = InterfaceID("DCD7BBE3 7742448D A874AACC 979C759E")

    /// AdaptiveEQ's processor class (a single-component effect: no separate controller class).
    public static let adaptiveEQClass = InterfaceID("6D1C9C44 BCBB4B13 8DA62384 70D892D5")
}

/// The module as hosts load it: its name, vendor and where its resources are.
public enum VST3Module {
    public static let name = "AdaptiveEQ"
    public static let vendor = "AdaptiveEQ"
    public static let version = "1.0.0"
    /// Sub-categories hosts file the plugin under.
    public static let subCategories = "Fx|EQ"

    /// The folder holding the model and words. When nil (the default) it is the bundle's
    /// `Contents/Resources`, found from the path of the loaded binary
    /// (`NAME.vst3/Contents/x86_64-linux/NAME.so`). Set it before creating an instance to
    /// run the plugin from elsewhere (tests).
    nonisolated(unsafe) public static var resourceFolderOverride: String?

    static var resourceFolder: String {
        if let resourceFolderOverride { return resourceFolderOverride }
        var buffer = [CChar](repeating: 0, count: 4096)
        aeq_module_path(&buffer, Int32(buffer.count))
        let binary = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // …/Contents/<arch>-linux/NAME.so → …/Contents/Resources
        var parts = binary.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count >= 2 { parts.removeLast(2) }
        return parts.joined(separator: "/") + "/Resources"
    }
}

/// One line on stderr (set-up only; hosts show it in their log).
func reportError(_ message: String) {
    var line = "AdaptiveEQ.vst3: \(message)\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
