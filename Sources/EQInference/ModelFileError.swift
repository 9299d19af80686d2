/// Why a model (safetensors) file was rejected. Every case names the file part or tensor at
/// fault and what was expected against what was found, so the one-line `description` is
/// enough for a user to tell a truncated download from a model of the wrong version.
public enum ModelFileError: Error, Equatable, CustomStringConvertible, Sendable {
    case cannotOpen(path: String, errno: Int32)
    case readFailed(path: String, errno: Int32)
    case fileTooLarge(path: String, byteCount: Int, limit: Int)
    /// Fewer than the 8 bytes of the header-length prefix.
    case truncatedPrefix(byteCount: Int)
    case headerTooLarge(declared: UInt64, limit: Int)
    case headerOutOfBounds(declared: UInt64, available: Int)
    case headerNotJSON(JSONParseError)
    case headerNotObject(found: String)
    case malformedEntry(tensor: String, reason: String)
    case unsupportedDType(tensor: String, expected: String, found: String)
    case dataOutOfBounds(tensor: String, begin: Int, end: Int, dataByteCount: Int)
    case byteCountMismatch(tensor: String, shape: [Int], expectedBytes: Int, foundBytes: Int)
    case overlappingData(tensor: String, other: String)
    case missingTensor(name: String)
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    case nonFiniteValue(tensor: String, index: Int)
    case missingMetadata(key: String)
    case invalidMetadata(key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, e): return "cannot open model file '\(path)' (errno \(e))"
        case let .readFailed(path, e): return "cannot read model file '\(path)' (errno \(e))"
        case let .fileTooLarge(path, n, limit):
            return "model file '\(path)' is \(n) bytes, larger than the \(limit)-byte limit"
        case let .truncatedPrefix(n):
            return "model file truncated: \(n) bytes, expected at least the 8-byte header length"
        case let .headerTooLarge(declared, limit):
            return "model header declares \(declared) bytes, expected at most \(limit)"
        case let .headerOutOfBounds(declared, available):
            return "model header declares \(declared) bytes but only \(available) follow the prefix (file truncated?)"
        case let .headerNotJSON(e): return "model header is not valid JSON: \(e)"
        case let .headerNotObject(found): return "model header: expected a JSON object, found \(found)"
        case let .malformedEntry(tensor, reason): return "tensor '\(tensor)': \(reason)"
        case let .unsupportedDType(tensor, expected, found):
            return "tensor '\(tensor)': expected dtype \(expected), found \(found)"
        case let .dataOutOfBounds(tensor, b, e, n):
            return "tensor '\(tensor)': data_offsets [\(b), \(e)] outside the \(n)-byte data section (file truncated?)"
        case let .byteCountMismatch(tensor, shape, expected, found):
            return "tensor '\(tensor)': shape \(shape) needs \(expected) bytes, data_offsets span \(found)"
        case let .overlappingData(tensor, other):
            return "tensor '\(tensor)': data overlaps tensor '\(other)'"
        case let .missingTensor(name): return "missing tensor '\(name)'"
        case let .shapeMismatch(tensor, expected, found):
            return "tensor '\(tensor)': expected shape \(expected), found \(found)"
        case let .nonFiniteValue(tensor, index):
            return "tensor '\(tensor)': value at flat index \(index) is not finite"
        case let .missingMetadata(key): return "missing metadata key '\(key)'"
        case let .invalidMetadata(key, value, expected):
            return "metadata '\(key)' = '\(value)': expected \(expected)"
        }
    }
}
