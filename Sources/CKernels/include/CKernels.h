#ifndef CKERNELS_H
#define CKERNELS_H
// The float kernels of the render path (the EQ's sample loop, the encoder's second stage,
// linear layers), built twice: for baseline x86-64 (SSE2)
// and for x86-64-v3's AVX2. The AVX2 copy is chosen once when the library loads, on
// processors and systems that support it. Both copies do the same IEEE operations in the
// same order lane by lane (no fused multiply-add, no reassociation), so their results are
// bit-identical: the output never depends on the machine it runs on.
// All functions are real-time safe (no allocation, no locks).
#include <stddef.h>

/// Size in floats of a linear layer's packed weights (the same as row-major).
static inline size_t aeq_linear_packed_count(int inputCount, int outputCount) {
    return (size_t)inputCount * (size_t)outputCount;
}
/// Rewrites row-major `[outputCount, inputCount]` weights into the layout `aeq_linear` reads:
/// for each group of four rows, each 4-column chunk of the four rows in turn, then the
/// group's last `inputCount % 4` columns row-interleaved; rows past the last full group
/// stay row-major at the end.
void aeq_linear_pack(const float *weight, int inputCount, int outputCount, float *packed);
/// The inverse of `aeq_linear_pack`.
void aeq_linear_unpack(const float *packed, int inputCount, int outputCount, float *weight);
/// `y = W·x + b` on packed weights. Each output is summed as four 4-lane partial sums over
/// the 4-column chunks, added lane 0 to 3, then the tail columns, then the bias.
void aeq_linear(const float *x, int inputCount, const float *packed, const float *bias,
                int outputCount, float *y);

/// The streaming encoder's second stage for one pooled column: depthwise 3×3 (32 channels)
/// over the previous, current and next pooled columns (`[32][34]`, zero rows at both ends),
/// pointwise 32→64, ReLU, and the sum of each cell's 8 mel rows: `g` receives
/// `[64 channels][4 cell rows]`. `scratch` holds 1024 floats.
void aeq_column_summary(const float *prev, const float *cur, const float *next,
                        const float *dw2Weight, const float *dw2Bias,
                        const float *pw2Weight, const float *pw2Bias,
                        float *scratch, float *g);

/// One channel group's view of an `EQProcessor` for the sample loop (its tables stay owned
/// by the processor). Vectors are 8 lanes; `lanesPerStage` is 1 (mono), 2 (stereo) or 4
/// (four channels), so a vector holds 8, 4 or 2 consecutive stages.
typedef struct {
    const float *start;      // [vectors][6][8] a1, a2, a3, m0, m1, m2 at the run's first sample
    const float *step;       // [vectors][6][8] their per-sample ramp steps
    float *state;            // [vectors][2][8] ic1, ic2 of this group
    float *outputs;          // [vectors][8] scratch: each vector's last output
    float *inputs;           // [vectors][8] scratch: each vector's last input
    const float *laneStage;  // [vectors][8] each lane's stage index
    const int *identity;     // [vectors][8] all bits set where a pair passes its input through
    const int *mixes;        // [vectors] 0: x + m1·v1, 1: x + m1·v1 + m2·v2, 2: m0·x + m1·v1 + m2·v2
    int vectors, lanesPerStage, ramping, pairs, frames;
    float startPhase;        // position of the run's first sample in the sub-block
} aeq_wavefront;

/// Filters `frames` samples of each of the group's `lanes` channels (1…4) in place as a
/// wavefront (see `EQProcessor.runGroup`).
void aeq_eq_run(const aeq_wavefront *wave, float *const *channels, int lanes);

/// The streaming encoder's first stage for one frame: depthwise 3×3 over mel × time (one
/// channel, zero padded) of the previous, current and next normalised log-mel frames (64
/// bands each), pointwise 1→32, ReLU, and the sum of each mel pair: `out` receives
/// `[32 channels][34 rows]` with a zero row at both ends. `scratch` holds 64 floats.
void aeq_first_stage(const float *prev, const float *cur, const float *next,
                     const float *dw1Weight, float dw1Bias, const float *pw1Weight, const float *pw1Bias,
                     float *scratch, float *out);

/// `out[k] = 0.25 · (a[k] + b[k])` for k < n (two frames' features pooled into one column).
void aeq_pair_mean(const float *a, const float *b, float *out, int n);

/// One column of the encoder's 4×4 cell pooling: `acc` = the `count` column summaries
/// (256 values each) summed in order, then `cells[4k + q] = acc[k] · scale`.
void aeq_cell_column(const float *const *columns, int count, float scale, float *acc, float *cells, int q);

/// Over n samples: `peak` = the largest |x| (NaN ignored) or its value on entry if larger,
/// `*over` increased by the count of |x| > 1.
void aeq_peak(const float *x, long n, float *peak, long *over);

/// `x[i] *= start + step · (phase + i)` for i < n (a linear gain ramp).
void aeq_gain_ramp(float *x, int n, float start, float step, int phase);

// The radix-2 butterflies of a complex FFT of n points (a power of two ≥ 4) from span 4 on,
// in place on split arrays; twiddles e^{−πik/s} for the span s at offset s (RealFFT's layout).
void aeq_fft_stages(float *re, float *im, const float *twiddleRe, const float *twiddleIm, int n);

// `count` little-endian IEEE half-precision values (any alignment) widened to float (exact).
void aeq_half_to_float(const void *halves, float *values, long count);

/// Turns on flush-to-zero and denormals-are-zero for the calling thread and returns the state
/// to restore. Subnormal floats (below 1.2e-38, e.g. a reverb tail fading out upstream) cost
/// 10-20 times as much per operation on x86; as zeros they change nothing audible. A no-op
/// returning 0 elsewhere.
unsigned aeq_denormals_off(void);
/// Restores what `aeq_denormals_off` returned.
void aeq_denormals_restore(unsigned previous);

/// 1 when the AVX2 copies run, 0 for the baseline ones (also with AEQ_BASELINE_KERNELS=1 set
/// in the environment at start-up).
int aeq_kernels_wide(void);
/// Chooses the copies: 0 baseline, 1 AVX2 where supported (the default). Returns what is now
/// used. For tests and benchmarks; not for use while another thread runs a kernel.
int aeq_kernels_set_wide(int wide);
#endif
