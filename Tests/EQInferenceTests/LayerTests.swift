import CKernels
import EQInference
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct LayerTests {
    @Test func linearMatchesHandComputation() {
        // y = [[1,2,3],[4,5,6]]·[1,−1,2] + [0.5, −1] = [5.5, 10]
        let layer = Linear(inputCount: 3, outputCount: 2, weight: [1, 2, 3, 4, 5, 6], bias: [0.5, -1])
        var y = [Float](repeating: 0, count: 2)
        layer.forward([1, -1, 2], into: &y)
        #expect(y == [5.5, 10])
    }

    /// The linear kernel's arithmetic, spelled out: per group of four rows, four 4-lane partial
    /// sums over the 4-column chunks added lane 0 to 3, then the tail columns, then the bias;
    /// rows past the last group as `NN.dot`. Both kernel copies must match it bit for bit.
    @Test func linearKeepsItsSummationOrderInBothCopies() {
        var r = TestRandom(seed: 9)
        for (n, outputs) in [(1, 1), (3, 2), (4, 4), (7, 5), (32, 128), (128, 13), (37, 9), (1024, 8)] {
            let w = (0..<(n * outputs)).map { _ in r.uniform(2) - 1 }
            let b = (0..<outputs).map { _ in r.uniform(2) - 1 }
            let x = (0..<n).map { _ in r.uniform(2) - 1 }
            var expected = [Float](repeating: 0, count: outputs)
            let chunks = n / 4
            var o = 0
            while o + 4 <= outputs {
                for k in 0..<4 {
                    var lanes = SIMD4<Float>()
                    let row = (o + k) * n
                    for c in 0..<chunks {
                        let xs = SIMD4<Float>(x[(4 * c)..<(4 * c + 4)])
                        let ws = SIMD4<Float>(w[(row + 4 * c)..<(row + 4 * c + 4)])
                        lanes += xs * ws
                    }
                    var s: Float = lanes[0] + lanes[1]
                    s += lanes[2]
                    s += lanes[3]
                    for i in (4 * chunks)..<n { s += x[i] * w[row + i] }
                    expected[o + k] = b[o + k] + s
                }
                o += 4
            }
            while o < outputs {
                expected[o] = b[o] + NN.dot(Array(w[(o * n)..<((o + 1) * n)]), x, count: n)
                o += 1
            }
            let layer = Linear(inputCount: n, outputCount: outputs, weight: w, bias: b)
            #expect(layer.weight == w, "packing must round-trip")
            for wide: Int32 in [0, 1] where aeq_kernels_set_wide(wide) == wide {
                var y = [Float](repeating: 0, count: outputs)
                layer.forward(x, into: &y)
                #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "\(n)→\(outputs), wide \(wide)")
            }
            aeq_kernels_set_wide(1)
        }
    }

    @Test func dotHandlesAllTailLengths() {
        for n in [0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 100] {
            let a = (0..<n).map { Float($0 % 7) - 3 }
            let b = (0..<n).map { Float($0 % 5) * 0.5 }
            var expected: Float = 0
            for i in 0..<n { expected += a[i] * b[i] }
            #expect(abs(NN.dot(a, b, count: n) - expected) < 1e-4)
        }
    }

    @Test func activations() {
        var x: [Float] = [-2, -0.0, 0.5, 3]
        NN.relu(&x, count: 4)
        #expect(x == [0, 0, 0.5, 3])
        var t: [Float] = [0, 1, -1]
        NN.tanh(&t, count: 3)
        #expect(abs(t[1] - 0.7615942) < 1e-6 && t[0] == 0 && abs(t[2] + 0.7615942) < 1e-6)
        var s: [Float] = [0, 2]
        NN.sigmoid(&s, count: 2)
        #expect(s[0] == 0.5 && abs(s[1] - 0.8807971) < 1e-6)
    }

    @Test func depthwiseConvUsesZeroPaddingOne() {
        // One 3×3 channel 1…9 with a kernel of ones: each output is the sum of its
        // in-bounds neighbourhood, plus the bias.
        let input: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        var out = [Float](repeating: 0, count: 9)
        NN.depthwiseConv3x3(input, channels: 1, height: 3, width: 3, weight: [Float](repeating: 1, count: 9),
                            bias: [10], into: &out)
        #expect(out == [22, 31, 26, 37, 55, 43, 34, 49, 38])
        // An asymmetric kernel picks out direction: only the top-left tap set means
        // out[y][x] = in[y−1][x−1].
        var k = [Float](repeating: 0, count: 9)
        k[0] = 1
        NN.depthwiseConv3x3(input, channels: 1, height: 3, width: 3, weight: k, bias: [0], into: &out)
        #expect(out == [0, 0, 0, 0, 1, 2, 0, 4, 5])
    }

    @Test func depthwiseConvKeepsChannelsApart() {
        let input: [Float] = [1, 1, 1, 1, 2, 2, 2, 2]   // two 2×2 channels
        var out = [Float](repeating: 0, count: 8)
        var k = [Float](repeating: 0, count: 18)
        k[4] = 1      // channel 0: identity
        k[9 + 4] = -3 // channel 1: × −3
        NN.depthwiseConv3x3(input, channels: 2, height: 2, width: 2, weight: k, bias: [0, 1], into: &out)
        #expect(out == [1, 1, 1, 1, -5, -5, -5, -5])
    }

    @Test func pointwiseConvMixesChannels() {
        // Two input channels, two pixels: out[o,p] = b[o] + Σ W[o,c]·in[c,p].
        let input: [Float] = [1, 2, 10, 20]
        var out = [Float](repeating: 0, count: 6)
        NN.pointwiseConv(input, inputChannels: 2, pixels: 2, weight: [1, 0, 0, 1, 1, -1], bias: [0, 0, 0.5],
                         outputChannels: 3, into: &out)
        #expect(out == [1, 2, 10, 20, -8.5, -17.5])
    }

    @Test func averagePoolDropsOddTail() {
        // 3×5 → 1×2
        let input: [Float] = [1, 2, 3, 4, 99, 5, 6, 7, 8, 99, 99, 99, 99, 99, 99]
        var out = [Float](repeating: 0, count: 2)
        NN.averagePool2x2(input, channels: 1, height: 3, width: 5, into: &out)
        #expect(out == [3.5, 5.5])
    }

    @Test func adaptivePoolMatchesPyTorchBins() {
        // Width 5 onto 2 cells: [0,3) and [2,5), overlapping at index 2 as in PyTorch.
        let input: [Float] = [1, 2, 3, 4, 5]
        var out = [Float](repeating: 0, count: 2)
        NN.adaptiveAveragePool(input, channels: 1, height: 1, width: 5, outputHeight: 1, outputWidth: 2, into: &out)
        #expect(out == [2, 4])
        // Divisible case is plain block averaging.
        let grid: [Float] = (0..<16).map(Float.init)   // 4×4
        var cells = [Float](repeating: 0, count: 4)
        NN.adaptiveAveragePool(grid, channels: 1, height: 4, width: 4, outputHeight: 2, outputWidth: 2, into: &cells)
        #expect(cells == [2.5, 4.5, 10.5, 12.5])
    }
}
