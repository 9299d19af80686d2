#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

// Lane-wise arithmetic exactly as written: no contraction into fused multiply-adds.
#pragma clang fp contract(off)
// Vectors cross only always-inlined helpers, so their calling convention never applies.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v8 __attribute__((ext_vector_type(8)));
typedef float v4 __attribute__((ext_vector_type(4)));
typedef int i8 __attribute__((ext_vector_type(8)));
typedef float v8u __attribute__((ext_vector_type(8), aligned(4)));
typedef float v4u __attribute__((ext_vector_type(4), aligned(4)));
typedef int i8u __attribute__((ext_vector_type(8), aligned(4)));

#define load8(p) (*(const v8u *)(p))
#define load4(p) (*(const v4u *)(p))
#define store8(p, v) (*(v8u *)(p) = (v))
#define store4(p, v) (*(v4u *)(p) = (v))
// max(v, 0) with NaN and −0 giving +0.
#define relu8(v, zero) ((v8)((i8)(v) & ((v) > (zero))))
// Lanes of `a` where `mask` is set, of `b` elsewhere.
#define select8(mask, a, b) ((v8)(((i8)(a) & (mask)) | ((i8)(b) & ~(mask))))

#define KERNEL_ATTRIBUTES
#define KERNEL_NAME(name) name##_baseline
#define KERNEL_F16C 0
#include "kernels.inc"
#undef KERNEL_F16C
#undef KERNEL_ATTRIBUTES
#undef KERNEL_NAME

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#define KERNEL_ATTRIBUTES __attribute__((target("avx2,f16c")))
#define KERNEL_NAME(name) name##_avx2
#define KERNEL_F16C 1
#include "kernels.inc"
#undef KERNEL_F16C

// The wide copies need AVX2 and F16C from the processor (CPUID; every AVX2 processor has
// F16C), and the system, which must save the upper halves of the YMM registers on a context
// switch (OSXSAVE and XCR0 bits 1–2).
static int avx2_supported(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & bit_OSXSAVE) || !(c & bit_AVX) || !(c & bit_F16C)) return 0;
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & bit_AVX2) != 0;
}
#else
static int avx2_supported(void) { return 0; }
#define linear_avx2 linear_baseline
#define column_summary_avx2 column_summary_baseline
#define eq_run_avx2 eq_run_baseline
#define gain_ramp_avx2 gain_ramp_baseline
#define first_stage_avx2 first_stage_baseline
#define pair_mean_avx2 pair_mean_baseline
#define cell_column_avx2 cell_column_baseline
#define peak_avx2 peak_baseline
#define fft_stages_avx2 fft_stages_baseline
#define half_to_float_avx2 half_to_float_baseline
#endif

static int wide;

// Chosen when the library loads, before any audio thread can call a kernel.
// AEQ_BASELINE_KERNELS=1 in the environment keeps the baseline copies (to compare them).
__attribute__((constructor)) static void choose_kernels(void) {
    const char *baseline = getenv("AEQ_BASELINE_KERNELS");
    wide = avx2_supported() && !(baseline && *baseline && strcmp(baseline, "0") != 0);
}

int aeq_kernels_wide(void) { return wide; }

int aeq_kernels_set_wide(int want) {
    wide = want && avx2_supported();
    return wide;
}

void aeq_linear(const float *x, int inputCount, const float *packed, const float *bias,
                int outputCount, float *y) {
    if (wide) linear_avx2(x, inputCount, packed, bias, outputCount, y);
    else linear_baseline(x, inputCount, packed, bias, outputCount, y);
}

void aeq_column_summary(const float *prev, const float *cur, const float *next,
                        const float *dw2Weight, const float *dw2Bias,
                        const float *pw2Weight, const float *pw2Bias,
                        float *scratch, float *g) {
    if (wide) column_summary_avx2(prev, cur, next, dw2Weight, dw2Bias, pw2Weight, pw2Bias, scratch, g);
    else column_summary_baseline(prev, cur, next, dw2Weight, dw2Bias, pw2Weight, pw2Bias, scratch, g);
}

void aeq_eq_run(const aeq_wavefront *wave, float *const *channels, int lanes) {
    if (wide) eq_run_avx2(wave, channels, lanes);
    else eq_run_baseline(wave, channels, lanes);
}

void aeq_first_stage(const float *prev, const float *cur, const float *next,
                     const float *dw1Weight, float dw1Bias, const float *pw1Weight, const float *pw1Bias,
                     float *scratch, float *out) {
    if (wide) first_stage_avx2(prev, cur, next, dw1Weight, dw1Bias, pw1Weight, pw1Bias, scratch, out);
    else first_stage_baseline(prev, cur, next, dw1Weight, dw1Bias, pw1Weight, pw1Bias, scratch, out);
}

void aeq_pair_mean(const float *a, const float *b, float *out, int n) {
    if (wide) pair_mean_avx2(a, b, out, n);
    else pair_mean_baseline(a, b, out, n);
}

void aeq_cell_column(const float *const *columns, int count, float scale, float *acc, float *cells, int q) {
    if (wide) cell_column_avx2(columns, count, scale, acc, cells, q);
    else cell_column_baseline(columns, count, scale, acc, cells, q);
}

void aeq_peak(const float *x, long n, float *peak, long *over) {
    if (wide) peak_avx2(x, n, peak, over);
    else peak_baseline(x, n, peak, over);
}

void aeq_fft_stages(float *re, float *im, const float *twiddleRe, const float *twiddleIm, int n) {
    if (wide) fft_stages_avx2(re, im, twiddleRe, twiddleIm, n);
    else fft_stages_baseline(re, im, twiddleRe, twiddleIm, n);
}

void aeq_half_to_float(const void *halves, float *values, long count) {
    if (wide) half_to_float_avx2((const unsigned char *)halves, values, count);
    else half_to_float_baseline((const unsigned char *)halves, values, count);
}

void aeq_gain_ramp(float *x, int n, float start, float step, int phase) {
    if (wide) gain_ramp_avx2(x, n, start, step, phase);
    else gain_ramp_baseline(x, n, start, step, phase);
}

// Visits every weight in packed order: `visit(packed index, row-major index)`.
#define FOR_EACH_PACKED(n, outputCount, visit)                                              \
    do {                                                                                    \
        const int groups_ = (outputCount) / 4, chunks_ = (n) / 4;                           \
        size_t p_ = 0;                                                                      \
        for (int g_ = 0; g_ < groups_; g_++) {                                              \
            const size_t row_ = (size_t)g_ * 4 * (n);                                       \
            for (int k_ = 0; k_ < chunks_; k_++)                                            \
                for (int r_ = 0; r_ < 4; r_++)                                              \
                    for (int l_ = 0; l_ < 4; l_++, p_++)                                    \
                        visit(p_, row_ + (size_t)r_ * (n) + 4 * k_ + l_);                   \
            for (int i_ = 4 * chunks_; i_ < (n); i_++)                                      \
                for (int r_ = 0; r_ < 4; r_++, p_++) visit(p_, row_ + (size_t)r_ * (n) + i_); \
        }                                                                                   \
        for (size_t q_ = p_; q_ < (size_t)(n) * (outputCount); q_++) visit(q_, q_);         \
    } while (0)

void aeq_linear_pack(const float *weight, int n, int outputCount, float *packed) {
#define PACK(p, r) (packed[p] = weight[r])
    FOR_EACH_PACKED(n, outputCount, PACK);
#undef PACK
}

void aeq_linear_unpack(const float *packed, int n, int outputCount, float *weight) {
#define UNPACK(p, r) (weight[r] = packed[p])
    FOR_EACH_PACKED(n, outputCount, UNPACK);
#undef UNPACK
}

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
// MXCSR bit 15 flushes subnormal results to zero, bit 6 reads subnormal inputs as zero.
#define AEQ_FTZ_DAZ 0x8040u
unsigned aeq_denormals_off(void) {
    const unsigned previous = _mm_getcsr();
    _mm_setcsr(previous | AEQ_FTZ_DAZ);
    return previous;
}
void aeq_denormals_restore(unsigned previous) { _mm_setcsr(previous); }
#else
unsigned aeq_denormals_off(void) { return 0; }
void aeq_denormals_restore(unsigned previous) { (void)previous; }
#endif
