import EQInference
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Expects `body` to throw exactly `expected`, and the message to mention `mention`.
func expectModelError(_ expected: ModelFileError, mentioning mention: String,
                      sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(expected)", sourceLocation: sourceLocation)
    } catch let error as ModelFileError {
        #expect(error == expected, sourceLocation: sourceLocation)
        #expect(error.description.contains(mention), "\(error.description)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct SafetensorsFileTests {
    func small() -> SafetensorsWriter {
        var w = SafetensorsWriter()
        w.metadata = [("k", "v")]
        w.add("a", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        w.add("b", shape: [1], values: [-0.5])
        return w
    }

    @Test func roundTrip() throws {
        let f = try SafetensorsFile(bytes: small().encode())
        #expect(f.metadata == ["k": "v"])
        #expect(try f.floats("a", shape: [2, 3]) == [1, 2, 3, 4, 5, 6])
        #expect(try f.floats("b", shape: [1]) == [-0.5])
        #expect(f.entries.map(\.name) == ["a", "b"])
    }

    @Test func readsFromDiskWithPOSIX() throws {
        let path = "/tmp/eqinference-test-\(getpid()).safetensors"
        let bytes = small().encode()
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        defer { unlink(path) }
        let f = try SafetensorsFile(path: path)
        #expect(try f.floats("a", shape: [2, 3]).count == 6)
        expectModelError(.cannotOpen(path: path + ".missing", errno: ENOENT), mentioning: ".missing") {
            _ = try SafetensorsFile(path: path + ".missing")
        }
    }

    @Test func rejectsTooShortPrefix() {
        expectModelError(.truncatedPrefix(byteCount: 5), mentioning: "8-byte") {
            _ = try SafetensorsFile(bytes: [1, 0, 0, 0, 0])
        }
    }

    @Test func rejectsHugeHeader() {
        var bytes: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x10]
        bytes += Array("{}".utf8)
        expectModelError(.headerTooLarge(declared: 1 << 60, limit: SafetensorsFile.maximumHeaderBytes), mentioning: "at most") {
            _ = try SafetensorsFile(bytes: bytes)
        }
    }

    @Test func rejectsHeaderBeyondFile() {
        let good = small().encode()
        let bytes = SafetensorsWriter.image(header: small().headerJSON(), data: [], declaredHeaderLength: 4000)
        _ = good
        expectModelError(.headerOutOfBounds(declared: 4000, available: bytes.count - 8), mentioning: "truncated") {
            _ = try SafetensorsFile(bytes: bytes)
        }
    }

    @Test func rejectsTruncatedData() {
        let bytes = Array(small().encode().dropLast(3))
        // "b" is the last tensor, [24, 28) in a data section now 25 bytes long.
        expectModelError(.dataOutOfBounds(tensor: "b", begin: 24, end: 28, dataByteCount: 25), mentioning: "'b'") {
            _ = try SafetensorsFile(bytes: bytes)
        }
    }

    @Test func rejectsNonJSONHeader() {
        let bytes = SafetensorsWriter.image(header: "{\"a\":", data: [])
        do {
            _ = try SafetensorsFile(bytes: bytes)
            Issue.record("expected an error")
        } catch {
            // Typed throws: `error` is a ModelFileError here.
            guard case .headerNotJSON = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains("JSON"))
        }
    }

    @Test func rejectsNonObjectHeader() {
        expectModelError(.headerNotObject(found: "array"), mentioning: "array") {
            _ = try SafetensorsFile(bytes: SafetensorsWriter.image(header: "[1]", data: []))
        }
    }

    @Test func rejectsOffsetsThatDisagreeWithShape() {
        let header = #"{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#
        expectModelError(.byteCountMismatch(tensor: "a", shape: [2, 3], expectedBytes: 24, foundBytes: 20),
                         mentioning: "24 bytes") {
            _ = try SafetensorsFile(bytes: SafetensorsWriter.image(header: header, data: [UInt8](repeating: 0, count: 24)))
        }
    }

    @Test func rejectsTamperedOffsets() {
        // Reversed offsets and negative offsets are both out of bounds.
        let reversed = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#
        expectModelError(.dataOutOfBounds(tensor: "a", begin: 4, end: 0, dataByteCount: 8), mentioning: "data_offsets") {
            _ = try SafetensorsFile(bytes: SafetensorsWriter.image(header: reversed, data: [UInt8](repeating: 0, count: 8)))
        }
        let missing = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#
        expectModelError(.malformedEntry(tensor: "a", reason: "'data_offsets' must be [begin, end] integers"),
                         mentioning: "data_offsets") {
            _ = try SafetensorsFile(bytes: SafetensorsWriter.image(header: missing, data: [0, 0, 0, 0]))
        }
        let negativeShape = #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#
        expectModelError(.malformedEntry(tensor: "a", reason: "shape must hold non-negative integers"), mentioning: "shape") {
            _ = try SafetensorsFile(bytes: SafetensorsWriter.image(header: negativeShape, data: [0, 0, 0, 0]))
        }
    }

    @Test func rejectsOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectModelError(.overlappingData(tensor: "b", other: "a"), mentioning: "overlaps") {
            _ = try SafetensorsFile(bytes: SafetensorsWriter.image(header: header, data: [UInt8](repeating: 0, count: 8)))
        }
    }

    @Test func rejectsDuplicateNames() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectModelError(.malformedEntry(tensor: "a", reason: "appears more than once in the header"), mentioning: "more than once") {
            _ = try SafetensorsFile(bytes: SafetensorsWriter.image(header: header, data: [UInt8](repeating: 0, count: 8)))
        }
    }

    @Test func rejectsWrongDTypeAndShapeOnRead() throws {
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#
        let f = try SafetensorsFile(bytes: SafetensorsWriter.image(header: header, data: [0, 0, 0, 0]))
        expectModelError(.unsupportedDType(tensor: "h", expected: "F32", found: "F16"), mentioning: "F16") {
            _ = try f.floats("h", shape: [2])
        }
        let g = try SafetensorsFile(bytes: small().encode())
        expectModelError(.shapeMismatch(tensor: "a", expected: [3, 2], found: [2, 3]), mentioning: "[3, 2]") {
            _ = try g.floats("a", shape: [3, 2])
        }
        expectModelError(.missingTensor(name: "zz"), mentioning: "zz") { _ = try g.floats("zz", shape: [1]) }
    }

    @Test func rejectsNonFiniteWeights() {
        var w = SafetensorsWriter()
        w.add("n", shape: [3], values: [0, .nan, 1])
        expectModelError(.nonFiniteValue(tensor: "n", index: 1), mentioning: "index 1") {
            _ = try SafetensorsFile(bytes: w.encode()).floats("n", shape: [3])
        }
    }

    /// Half-precision tensors (the open vocabulary's table) widen exactly and reject a
    /// non-finite value by its index.
    @Test func readsHalfFloatsAndRejectsNonFiniteOnes() throws {
        func image(_ halves: [UInt16]) -> [UInt8] {
            let header = #"{"h":{"dtype":"F16","shape":[\#(halves.count)],"data_offsets":[0,\#(2 * halves.count)]}}"#
            return SafetensorsWriter.image(header: header, data: halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        }
        // 0, 1, −2, 65504 (the largest half), 2⁻²⁴ (the smallest subnormal).
        let file = try SafetensorsFile(bytes: image([0x0000, 0x3C00, 0xC000, 0x7BFF, 0x0001]))
        #expect(try file.halfFloats("h", shape: [5]) == [0, 1, -2, 65504, 0x1p-24])
        expectModelError(.nonFiniteValue(tensor: "h", index: 2), mentioning: "index 2") {
            _ = try SafetensorsFile(bytes: image([0x3C00, 0x3C00, 0x7C00])).halfFloats("h", shape: [3])
        }
    }

    /// A half table read a row at a time gives the values the whole-table read gives, and is
    /// checked on load like it: non-finite values by index, the shape exactly.
    @Test func halfRowsReadWhatHalfFloatsRead() throws {
        func image(_ halves: [UInt16], shape: [Int]) -> [UInt8] {
            let header = #"{"h":{"dtype":"F16","shape":\#(shape),"data_offsets":[0,\#(2 * halves.count)]}}"#
            return SafetensorsWriter.image(header: header, data: halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        }
        var generator = SystemRandomNumberGenerator()
        // Every finite half pattern somewhere in a 3 × 20,000 table (the exponent 0x1F means ±inf/NaN).
        let halves = (0..<60_000).map { _ -> UInt16 in
            var h = UInt16.random(in: 0...UInt16.max, using: &generator)
            if h & 0x7C00 == 0x7C00 { h &= 0xBFFF }
            return h
        }
        let file = try SafetensorsFile(bytes: image(halves, shape: [3, 20_000]))
        let whole = try file.halfFloats("h", shape: [3, 20_000])
        let rows = try file.halfRows("h", shape: [3, 20_000])
        #expect(rows.rowCount == 3 && rows.rowLength == 20_000)
        for r in 0..<3 {
            #expect(rows.row(r).map(\.bitPattern) == whole[r * 20_000..<(r + 1) * 20_000].map(\.bitPattern))
        }
        expectModelError(.nonFiniteValue(tensor: "h", index: 4), mentioning: "index 4") {
            _ = try SafetensorsFile(bytes: image([0, 0, 0, 0, 0xFC00, 0], shape: [2, 3])).halfRows("h", shape: [2, 3])
        }
        expectModelError(.shapeMismatch(tensor: "h", expected: [6], found: [2, 3]), mentioning: "h") {
            _ = try SafetensorsFile(bytes: image([0, 0, 0, 0, 0, 0], shape: [2, 3])).halfRows("h", shape: [6])
        }
    }

    @Test func rejectsNonStringMetadata() {
        let header = #"{"__metadata__":{"k":1}}"#
        expectModelError(.malformedEntry(tensor: "__metadata__", reason: "value of 'k' must be a string, found number"),
                         mentioning: "'k'") {
            _ = try SafetensorsFile(bytes: SafetensorsWriter.image(header: header, data: []))
        }
    }
}
