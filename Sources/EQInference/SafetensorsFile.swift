import CKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One tensor entry of a safetensors header, validated against the data section.
public struct TensorEntry: Equatable, Sendable {
    public let name: String
    public let dtype: String
    public let shape: [Int]
    /// Byte range inside the data section (after the header).
    public let begin: Int
    public let end: Int
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A parsed and validated safetensors file (https://huggingface.co/docs/safetensors):
/// an 8-byte little-endian header length, a JSON header, then the raw tensor bytes.
///
/// Read with plain POSIX calls (no Foundation) so the engine can load its model from a
/// path inside a plugin bundle. Validation on load: header length within the file and below
/// `maximumHeaderBytes`, header is a JSON object, every entry has a string `dtype`, a shape of
/// non-negative integers and `data_offsets` `[begin, end]` inside the data section with
/// `end − begin` equal to the shape's byte size, and no two tensors overlap. Only `F32`
/// tensors can be read as floats; other dtypes are listed but rejected by `floats(_:shape:)`.
///
/// Loading allocates and is meant for setup time, not for the audio thread.
public struct SafetensorsFile: Sendable {
    /// Headers above this size are rejected before parsing (the reference implementation uses
    /// the same 100 MB bound).
    public static let maximumHeaderBytes = 100_000_000
    /// Files above this size are rejected before reading (a model here is a few MB).
    public static let maximumFileBytes = 1 << 31

    /// Tensor entries in header order.
    public let entries: [TensorEntry]
    /// `__metadata__` (string to string), empty when absent.
    public let metadata: [String: String]
    // The whole file; the data section starts at `dataStart` (the entries' offsets are
    // relative to it). Kept whole rather than copied out: the vocabulary is 6 MB.
    private let bytes: [UInt8]
    private let dataStart: Int

    /// Reads and validates the file at `path`.
    public init(path: String) throws(ModelFileError) {
        try self.init(bytes: SafetensorsFile.readAll(path: path))
    }

    /// Validates an in-memory safetensors image.
    public init(bytes: [UInt8]) throws(ModelFileError) {
        guard bytes.count >= 8 else { throw .truncatedPrefix(byteCount: bytes.count) }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard declared <= UInt64(SafetensorsFile.maximumHeaderBytes) else {
            throw .headerTooLarge(declared: declared, limit: SafetensorsFile.maximumHeaderBytes)
        }
        guard declared <= UInt64(bytes.count - 8) else {
            throw .headerOutOfBounds(declared: declared, available: bytes.count - 8)
        }
        let headerEnd = 8 + Int(declared)
        let header: JSONValue
        do {
            header = try JSONParser.parse(Array(bytes[8..<headerEnd]))
        } catch {
            throw .headerNotJSON(error)
        }
        guard case let .object(members) = header else { throw .headerNotObject(found: header.kindName) }
        let dataCount = bytes.count - headerEnd

        var entries: [TensorEntry] = []
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard case let .object(pairs) = value else {
                    throw .malformedEntry(tensor: name, reason: "expected an object of strings, found \(value.kindName)")
                }
                for (key, v) in pairs {
                    guard case let .string(s) = v else {
                        throw .malformedEntry(tensor: name, reason: "value of '\(key)' must be a string, found \(v.kindName)")
                    }
                    metadata[key] = s
                }
                continue
            }
            if entries.contains(where: { $0.name == name }) {
                throw .malformedEntry(tensor: name, reason: "appears more than once in the header")
            }
            entries.append(try SafetensorsFile.entry(name: name, value: value, dataCount: dataCount))
        }
        // Overlap check on entries sorted by start offset (zero-sized tensors overlap nothing).
        let sorted = entries.filter { $0.end > $0.begin }.sorted { $0.begin < $1.begin }
        if sorted.count > 1 {
            for i in 1..<sorted.count where sorted[i].begin < sorted[i - 1].end {
                throw .overlappingData(tensor: sorted[i].name, other: sorted[i - 1].name)
            }
        }
        self.entries = entries
        self.metadata = metadata
        self.bytes = bytes
        dataStart = headerEnd
    }

    private static func entry(name: String, value: JSONValue, dataCount: Int) throws(ModelFileError) -> TensorEntry {
        guard case .object = value else {
            throw .malformedEntry(tensor: name, reason: "expected an object, found \(value.kindName)")
        }
        guard case let .string(dtype)? = value["dtype"] else {
            throw .malformedEntry(tensor: name, reason: "missing string 'dtype'")
        }
        guard case let .array(shapeValues)? = value["shape"] else {
            throw .malformedEntry(tensor: name, reason: "missing array 'shape'")
        }
        var shape: [Int] = []
        var elements = 1
        for d in shapeValues {
            guard case let .integer(v) = d, v >= 0, v <= Int64(Int32.max) else {
                throw .malformedEntry(tensor: name, reason: "shape must hold non-negative integers")
            }
            shape.append(Int(v))
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(v))
            guard !overflow, product <= Int(Int32.max) else {
                throw .malformedEntry(tensor: name, reason: "shape \(shape) too large")
            }
            elements = product
        }
        guard case let .array(offsets)? = value["data_offsets"], offsets.count == 2,
              case let .integer(b) = offsets[0], case let .integer(e) = offsets[1] else {
            throw .malformedEntry(tensor: name, reason: "'data_offsets' must be [begin, end] integers")
        }
        guard b >= 0, e >= b, e <= Int64(dataCount) else {
            throw .dataOutOfBounds(tensor: name, begin: Int(clamping: b), end: Int(clamping: e), dataByteCount: dataCount)
        }
        if let width = SafetensorsFile.byteWidth(dtype: dtype) {
            let expected = elements * width
            guard Int(e - b) == expected else {
                throw .byteCountMismatch(tensor: name, shape: shape, expectedBytes: expected, foundBytes: Int(e - b))
            }
        }
        return TensorEntry(name: name, dtype: dtype, shape: shape, begin: Int(b), end: Int(e))
    }

    /// Element size of the safetensors dtypes, nil for unknown ones.
    public static func byteWidth(dtype: String) -> Int? {
        switch dtype {
        case "F64", "I64", "U64": return 8
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2": return 1
        default: return nil
        }
    }

    /// The entry named `name`, or nil.
    public func entry(named name: String) -> TensorEntry? { entries.first { $0.name == name } }

    /// The values of the `F32` tensor `name`, row-major, after checking its shape is exactly
    /// `shape` and (if `requireFinite`) that every value is finite.
    public func floats(_ name: String, shape expected: [Int], requireFinite: Bool = true) throws(ModelFileError) -> [Float] {
        try floatValues(entry(name, dtype: "F32", shape: expected), requireFinite: requireFinite)
    }

    /// The values and shape of the `F32` tensor `name`, whatever its shape.
    public func floats(_ name: String, requireFinite: Bool = true) throws(ModelFileError) -> (values: [Float], shape: [Int]) {
        let e = try entry(name, dtype: "F32", shape: nil)
        return (try floatValues(e, requireFinite: requireFinite), e.shape)
    }

    /// The values of the `F16` tensor `name` widened to `Float`, row-major, after checking its
    /// shape is exactly `shape` and every value is finite (half precision halves large tables).
    public func halfFloats(_ name: String, shape expected: [Int]) throws(ModelFileError) -> [Float] {
        try values(of: entry(name, dtype: "F16", shape: expected), requireFinite: true) { aeq_half_to_float($0, $1, $2) }
    }

    /// The 2-D `F16` tensor `name` left as half floats in the file's bytes and widened a row at
    /// a time, after checking its shape is exactly `shape` and every value is finite: for large
    /// tables of which only a few rows are read (the vocabulary's 75,000 latents). A row reads
    /// the same values `halfFloats` gives.
    public func halfRows(_ name: String, shape expected: [Int]) throws(ModelFileError) -> HalfRows {
        let e = try entry(name, dtype: "F16", shape: expected)
        guard expected.count == 2 else { throw .shapeMismatch(tensor: name, expected: expected, found: e.shape) }
        let start = dataStart + e.begin
        // A half is infinite or NaN when its five exponent bits are all set.
        let firstBad: Int? = bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + start
            for i in 0..<e.elementCount
            where UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) & 0x7C00 == 0x7C00 {
                return i
            }
            return nil
        }
        if let firstBad { throw .nonFiniteValue(tensor: name, index: firstBad) }
        return HalfRows(bytes: bytes, start: start, rowCount: expected[0], rowLength: expected[1])
    }

    /// The entry `name`, checked to hold `dtype` values in exactly `shape` (any shape if nil).
    private func entry(_ name: String, dtype: String, shape expected: [Int]?) throws(ModelFileError) -> TensorEntry {
        guard let e = entry(named: name) else { throw .missingTensor(name: name) }
        guard e.dtype == dtype else { throw .unsupportedDType(tensor: name, expected: dtype, found: e.dtype) }
        if let expected, e.shape != expected { throw .shapeMismatch(tensor: name, expected: expected, found: e.shape) }
        return e
    }

    private func floatValues(_ e: TensorEntry, requireFinite: Bool) throws(ModelFileError) -> [Float] {
        try values(of: e, requireFinite: requireFinite) { source, values, n in
            for i in 0..<n {
                values[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
    }

    /// The `elementCount` values of entry `e`, written by `decode(first byte, values, count)`
    /// into an uninitialised array, then checked finite when asked (the first bad index named).
    private func values(of e: TensorEntry, requireFinite: Bool,
                        decode: (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void) throws(ModelFileError) -> [Float] {
        // The entry's bytes lie inside the data section (checked when the header was read).
        let n = e.elementCount
        let out = bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: n) { values, count in
                if n > 0 { decode(raw.baseAddress! + dataStart + e.begin, values.baseAddress!, n) }
                count = n
            }
        }
        if requireFinite, let i = out.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteValue(tensor: e.name, index: i)
        }
        return out
    }

    /// The metadata string `key`, or an error naming the key.
    public func metadataString(_ key: String) throws(ModelFileError) -> String {
        guard let v = metadata[key] else { throw .missingMetadata(key: key) }
        return v
    }

    /// The metadata value `key` parsed as an integer.
    public func metadataInt(_ key: String) throws(ModelFileError) -> Int {
        let s = try metadataString(key)
        guard let v = Int(s) else { throw .invalidMetadata(key: key, value: s, expected: "an integer") }
        return v
    }

    /// The metadata value `key` parsed as a number.
    public func metadataDouble(_ key: String) throws(ModelFileError) -> Double {
        let s = try metadataString(key)
        guard let v = Double(s), v.isFinite else { throw .invalidMetadata(key: key, value: s, expected: "a number") }
        return v
    }

    /// Reads a whole file with `open`/`fstat`/`read`.
    public static func readAll(path: String) throws(ModelFileError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .readFailed(path: path, errno: errno) }
        let size = Int(info.st_size)
        guard size <= maximumFileBytes else { throw .fileTooLarge(path: path, byteCount: size, limit: maximumFileBytes) }
        var failure: Int32 = 0
        // Read straight into the array's storage (no zero-fill first); only what was read counts.
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }  // file shrank while reading: validation reports the truncation
                done += n
            }
            count = done
        }
        if failure != 0 { throw .readFailed(path: path, errno: failure) }
        return bytes
    }
}

/// A table of half floats kept in the bytes of the file it came from (`SafetensorsFile.halfRows`).
public struct HalfRows: Sendable {
    private let bytes: [UInt8]
    private let start: Int
    public let rowCount: Int
    public let rowLength: Int

    fileprivate init(bytes: [UInt8], start: Int, rowCount: Int, rowLength: Int) {
        (self.bytes, self.start, self.rowCount, self.rowLength) = (bytes, start, rowCount, rowLength)
    }

    /// Row `r` widened to floats (exact: every half is a float).
    public func row(_ r: Int) -> [Float] {
        precondition(r >= 0 && r < rowCount, "row \(r) outside 0..<\(rowCount)")
        let n = rowLength
        return bytes.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: n) { values, count in
                if n > 0 { aeq_half_to_float(raw.baseAddress! + start + 2 * r * n, values.baseAddress!, n) }
                count = n
            }
        }
    }
}
