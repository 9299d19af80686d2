import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One immutable block of `Float`s on the heap, freed when the last owner goes away.
///
/// Layers keep a reference only to keep the memory alive and read through the raw `pointer`
/// in their loops, so running a layer causes no reference counting.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// `count` zeros.
    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    /// A copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        for i in 0..<values.count { pointer[i] = values[i] }
    }

    deinit { pointer.deallocate() }

    /// A copy of the contents (for tests and diagnostics).
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Allocation-free neural-network kernels over caller-owned buffers.
///
/// Layouts follow PyTorch: feature maps are `[channels, height, width]` row-major, linear
/// weights `[out, in]`, convolution weights `[out, in/groups, kh, kw]`. Input and output
/// buffers must not overlap unless a function says it works in place. All functions are
/// real-time safe.
public enum NN {
    /// `Σ a[i]·b[i]` over `count` values, with eight-wide partial sums.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i + 32, as: SIMD8<Float>.self)
            i += 16
        }
        if i + 8 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        var s = (acc0 + acc1).sum()
        while i < count {
            s += a[i] * b[i]
            i += 1
        }
        return s
    }

    /// `x = max(x, 0)` in place.
    @inlinable
    public static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = x[i] > 0 ? x[i] : 0 }
    }

    /// `x = tanh(x)` in place.
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = tanhf(x[i]) }
    }

    /// `x = 1 / (1 + e^{−x})` in place.
    public static func sigmoid(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = 1 / (1 + expf(-x[i])) }
    }

    /// Depthwise 3×3 convolution, stride 1, zero padding 1 (`groups = channels`).
    /// - Parameters:
    ///   - input: `[channels, height, width]`.
    ///   - weight: `[channels, 1, 3, 3]`; `bias`: `[channels]`.
    ///   - output: `[channels, height, width]`.
    public static func depthwiseConv3x3(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                        into output: UnsafeMutablePointer<Float>) {
        let plane = height * width
        for c in 0..<channels {
            let k = weight + 9 * c
            let src = input + c * plane
            let dst = output + c * plane
            for y in 0..<height {
                let out = dst + y * width
                for x in 0..<width { out[x] = bias[c] }
                for ky in 0..<3 {
                    let sy = y + ky - 1
                    if sy < 0 || sy >= height { continue }
                    let row = src + sy * width
                    let k0 = k[3 * ky], k1 = k[3 * ky + 1], k2 = k[3 * ky + 2]
                    // x = 0 and x = width − 1 see one zero neighbour each.
                    out[0] += k1 * row[0] + (width > 1 ? k2 * row[1] : 0)
                    if width > 1 {
                        var x = 1
                        while x < width - 1 {
                            out[x] += k0 * row[x - 1] + k1 * row[x] + k2 * row[x + 1]
                            x += 1
                        }
                        out[width - 1] += k0 * row[width - 2] + k1 * row[width - 1]
                    }
                }
            }
        }
    }

    /// Pointwise (1×1) convolution: `out[o, p] = b[o] + Σ_c W[o, c]·in[c, p]`.
    /// - Parameters:
    ///   - input: `[inputChannels, pixels]`; `weight`: `[outputChannels, inputChannels]`.
    ///   - output: `[outputChannels, pixels]`.
    public static func pointwiseConv(_ input: UnsafePointer<Float>, inputChannels: Int, pixels: Int,
                                     weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                     outputChannels: Int, into output: UnsafeMutablePointer<Float>) {
        for o in 0..<outputChannels {
            let out = output + o * pixels
            let b = bias[o]
            for p in 0..<pixels { out[p] = b }
            for c in 0..<inputChannels {
                let w = weight[o * inputChannels + c]
                let src = input + c * pixels
                for p in 0..<pixels { out[p] += w * src[p] }
            }
        }
    }

    /// 2×2 average pooling, stride 2, no padding (odd trailing rows/columns are dropped,
    /// as PyTorch's `avg_pool2d` does). Output `[channels, height/2, width/2]`.
    public static func averagePool2x2(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                      into output: UnsafeMutablePointer<Float>) {
        let oh = height / 2, ow = width / 2
        for c in 0..<channels {
            let src = input + c * height * width
            let dst = output + c * oh * ow
            for y in 0..<oh {
                let r0 = src + 2 * y * width, r1 = r0 + width
                for x in 0..<ow {
                    dst[y * ow + x] = 0.25 * ((r0[2 * x] + r0[2 * x + 1]) + (r1[2 * x] + r1[2 * x + 1]))
                }
            }
        }
    }

    /// Average pooling onto a fixed `outputHeight × outputWidth` grid of cells (PyTorch's
    /// adaptive average pooling): cell i spans `[⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉)`, likewise in width.
    public static func adaptiveAveragePool(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                           outputHeight: Int, outputWidth: Int,
                                           into output: UnsafeMutablePointer<Float>) {
        for c in 0..<channels {
            let src = input + c * height * width
            for i in 0..<outputHeight {
                let y0 = (i * height) / outputHeight
                let y1 = ((i + 1) * height + outputHeight - 1) / outputHeight
                for j in 0..<outputWidth {
                    let x0 = (j * width) / outputWidth
                    let x1 = ((j + 1) * width + outputWidth - 1) / outputWidth
                    var s: Float = 0
                    for y in y0..<y1 {
                        for x in x0..<x1 { s += src[y * width + x] }
                    }
                    output[(c * outputHeight + i) * outputWidth + j] = s / Float((y1 - y0) * (x1 - x0))
                }
            }
        }
    }
}

/// A fully connected layer `y = W·x + b`, weights `[outputCount, inputCount]`.
///
/// The weights are kept in the layout the kernel reads (`aeq_linear_pack`): four rows'
/// 4-column chunks side by side, so one 8-wide multiply serves two rows.
public struct Linear: @unchecked Sendable {
    public let inputCount: Int
    public let outputCount: Int
    public let bias: FloatBuffer
    private let packed: FloatBuffer
    private let packedPointer: UnsafePointer<Float>
    private let biasPointer: UnsafePointer<Float>

    public init(inputCount: Int, outputCount: Int, weight: [Float], bias: [Float]) {
        precondition(weight.count == inputCount * outputCount && bias.count == outputCount)
        self.inputCount = inputCount
        self.outputCount = outputCount
        packed = FloatBuffer(count: weight.count)
        aeq_linear_pack(weight, Int32(inputCount), Int32(outputCount), packed.pointer)
        self.bias = FloatBuffer(bias)
        packedPointer = UnsafePointer(packed.pointer)
        biasPointer = UnsafePointer(self.bias.pointer)
    }

    /// Loads `<prefix>.weight` `[out, in]` and `<prefix>.bias` `[out]`, checking both shapes.
    public init(_ file: SafetensorsFile, prefix: String, inputCount: Int, outputCount: Int) throws(ModelFileError) {
        self.init(inputCount: inputCount, outputCount: outputCount,
                  weight: try file.floats(prefix + ".weight", shape: [outputCount, inputCount]),
                  bias: try file.floats(prefix + ".bias", shape: [outputCount]))
    }

    /// The weights row-major, `[outputCount, inputCount]` (a copy; for tests and diagnostics).
    public var weight: [Float] {
        var w = [Float](repeating: 0, count: inputCount * outputCount)
        aeq_linear_unpack(packedPointer, Int32(inputCount), Int32(outputCount), &w)
        return w
    }

    /// `y = W·x + b`; `x` has `inputCount` values, `y` receives `outputCount`. Real-time safe.
    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        aeq_linear(x, Int32(inputCount), packedPointer, biasPointer, Int32(outputCount), y)
    }
}
