import CKernels
import Testing

@Suite(.serialized) struct HalfFloatTests {
    /// Every one of the 65,536 half-precision patterns, widened by each kernel copy (F16C in
    /// the wide one, bit arithmetic in the baseline one), from odd addresses too: finite values
    /// equal Swift's own `Float(Float16)` to the bit; infinities keep their sign; NaN stays NaN.
    @Test func bothCopiesWidenEveryHalfExactly() {
        let bytes = [UInt8(0)] + (0...0xFFFF).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        for wide: Int32 in [0, 1] where aeq_kernels_set_wide(wide) == wide {
            defer { aeq_kernels_set_wide(1) }
            var values = [Float](repeating: 0, count: 0x10000)
            bytes.withUnsafeBytes { raw in aeq_half_to_float(raw.baseAddress! + 1, &values, 0x10000) }
            var wrong = 0
            for h in 0...0xFFFF {
                let expected = Float(Float16(bitPattern: UInt16(h))), got = values[h]
                if expected.isNaN ? !got.isNaN : got.bitPattern != expected.bitPattern { wrong += 1 }
            }
            #expect(wrong == 0, "kernel copy \(wide == 1 ? "wide" : "baseline"): \(wrong) patterns wrong")
        }
    }
}
