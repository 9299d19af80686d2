// The wavefront kernel's building blocks (see `EQProcessor.runGroup`): how a stage mixes its
// outputs, the lane layouts and ramp modes the kernel is specialised for, and one
// wavefront iteration.

/// How a vector's stages mix their filter outputs, `y = m0·x + m1·v1 + m2·v2`. Peaking
/// filters have m0 = 1 and m2 = 0, low shelves m0 = 1 (and identity padding fits both), so
/// vectors made only of those skip the terms that cannot change.
enum OutputMix { case peaking, unitDirect, general }

// Compile-time switches for the specialised copies of the sample loop.
protocol LaneCount { static var lanesPerStage: Int { get } }
enum OneLane: LaneCount { static var lanesPerStage: Int { 1 } }
enum TwoLanes: LaneCount { static var lanesPerStage: Int { 2 } }
enum FourLanes: LaneCount { static var lanesPerStage: Int { 4 } }
protocol RampMode { static var ramping: Bool { get } }
enum Steady: RampMode { static var ramping: Bool { false } }
enum Ramping: RampMode { static var ramping: Bool { true } }

/// The sample loop's view of one channel group: plain pointers into the processor's tables, so
/// the loop touches no reference counts. `iterate` advances every stage by one sample.
struct Wavefront {
    let start: UnsafePointer<SIMD4<Float>>
    let step: UnsafePointer<SIMD4<Float>>
    let state: UnsafeMutablePointer<SIMD4<Float>>
    let outputs: UnsafeMutablePointer<SIMD4<Float>>
    let inputs: UnsafeMutablePointer<SIMD4<Float>>
    let laneStage: UnsafePointer<SIMD4<Float>>
    let identity: UnsafePointer<SIMDMask<SIMD4<Int32>>>
    let mixes: UnsafePointer<OutputMix>
    let vectors: Int
    let pairs: Bool
    let startPhase: Float
    let frames: Float

    /// One iteration: every stage filters the sample the stage before it produced in the
    /// previous iteration (the first stage takes `feed`'s top lanes). With `masked`, stages
    /// whose sample lies outside the run keep their state. Returns the last vector's output.
    @inline(__always)
    func iterate<Lanes: LaneCount, Ramp: RampMode>(_ i: Int, feed: SIMD4<Float>, _: Lanes.Type, _: Ramp.Type,
                                                   masked: Bool) -> SIMD4<Float> {
        let w = Lanes.lanesPerStage, ramping = Ramp.ramping
        let index = Float(i)
        // From the last vector down, so each reads its neighbour's previous output before
        // that is overwritten.
        var v = vectors &- 1
        while v >= 0 {
            let below = v == 0 ? feed : outputs[v &- 1], own = outputs[v]
            let x: SIMD4<Float>
            switch w {
            case 1: x = SIMD4(below[3], own[0], own[1], own[2])
            case 2: x = SIMD4(below[2], below[3], own[0], own[1])
            default: x = below
            }
            let o = v &* 6, mix = mixes[v]
            var a1 = start[o], a2 = start[o &+ 1], a3 = start[o &+ 2], m1 = start[o &+ 4]
            // Each lane's sample in the run: its stage is that many samples behind.
            let sample = index - laneStage[v]
            let t = startPhase + sample
            if ramping {
                a1 += step[o] * t; a2 += step[o &+ 1] * t; a3 += step[o &+ 2] * t; m1 += step[o &+ 4] * t
            }
            let p = state + v &* 2
            let ic1 = p[0], ic2 = p[1]
            var next1 = ic1, next2 = ic2
            let (v1, v2) = svfTick(x, ic1: &next1, ic2: &next2, a1: a1, a2: a2, a3: a3)
            var y: SIMD4<Float>
            switch mix {
            case .peaking:
                y = x + m1 * v1
            case .unitDirect:
                var m2 = start[o &+ 5]
                if ramping { m2 += step[o &+ 5] * t }
                y = x + m1 * v1 + m2 * v2
            case .general:
                var m0 = start[o &+ 3], m2 = start[o &+ 5]
                if ramping { m0 += step[o &+ 3] * t; m2 += step[o &+ 5] * t }
                y = m0 * x + m1 * v1 + m2 * v2
            }
            if masked {
                let idle = (sample .< 0) .| (sample .>= frames)
                next1.replace(with: ic1, where: idle)
                next2.replace(with: ic2, where: idle)
            }
            p[0] = next1
            p[1] = next2
            if pairs {
                // A pair that is an identity passes on the input its first stage took one
                // iteration earlier: the same sample its second stage is on now.
                let pairInput: SIMD4<Float>
                switch w {
                case 1: let e = inputs[v]; pairInput = SIMD4(e[0], e[0], e[2], e[2])
                case 2: let e = inputs[v]; pairInput = SIMD4(e[0], e[1], e[0], e[1])
                default: pairInput = v > 0 ? inputs[v &- 1] : .zero
                }
                y.replace(with: pairInput, where: identity[v])
                inputs[v] = x
            }
            outputs[v] = y
            v &-= 1
        }
        return outputs[vectors &- 1]
    }
}
