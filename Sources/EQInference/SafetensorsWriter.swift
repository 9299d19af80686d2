/// Builds safetensors images in memory (F32 tensors plus string metadata).
///
/// The engine only reads models; this exists so tests and tools can produce small,
/// well-formed files (and deliberately broken variants of them) without Python.
public struct SafetensorsWriter {
    public struct Tensor {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "tensor \(name): shape \(shape) does not hold \(values.count) values")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public var tensors: [Tensor] = []
    public var metadata: [(key: String, value: String)] = []

    public init() {}

    public mutating func add(_ name: String, shape: [Int], values: [Float]) {
        tensors.append(Tensor(name: name, shape: shape, values: values))
    }

    /// JSON string literal with the escapes JSON requires.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// The header JSON (no padding).
    public func headerJSON() -> String {
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.map { "\(SafetensorsWriter.quoted($0.key)):\(SafetensorsWriter.quoted($0.value))" }
            parts.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for t in tensors {
            let end = offset + 4 * t.values.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(SafetensorsWriter.quoted(t.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// The complete file: length prefix, header padded with spaces to a multiple of 8, data.
    public func encode() -> [UInt8] {
        SafetensorsWriter.image(header: headerJSON(), data: dataBytes())
    }

    /// Raw little-endian tensor data, in order.
    public func dataBytes() -> [UInt8] {
        var data: [UInt8] = []
        for t in tensors {
            for v in t.values {
                let b = v.bitPattern
                data += [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)]
            }
        }
        return data
    }

    /// An image from an arbitrary header text and data (for building malformed files).
    public static func image(header: String, data: [UInt8], declaredHeaderLength: UInt64? = nil) -> [UInt8] {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        let n = declaredHeaderLength ?? UInt64(h.count)
        var out: [UInt8] = []
        for i in 0..<8 { out.append(UInt8((n >> (8 * UInt64(i))) & 0xFF)) }
        return out + h + data
    }
}
