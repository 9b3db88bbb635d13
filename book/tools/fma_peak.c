// The machine's peak of single-precision fused multiply-adds on one core:
// 12 independent chains of 8-lane FMAs (AVX2), enough to cover the latency
// of two FMA units. Prints multiply-adds per second (one FMA lane = one).
//   gcc -O3 -march=native book/tools/fma_peak.c -o target/fma_peak && target/fma_peak
// Used by the minibatch chapter to state the fraction of peak the engine
// reaches. Not part of CI.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
  enum { CHAINS = 12, ITERS = 100000000 };
  __m256 acc[CHAINS];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int k = 0; k < CHAINS; k++) acc[k] = _mm256_set1_ps((float)k);
  double best = 0;
  for (int rep = 0; rep < 5; rep++) {
    double t0 = now();
    for (long i = 0; i < ITERS; i++)
      for (int k = 0; k < CHAINS; k++) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
    double rate = (double)ITERS * CHAINS * 8 / (now() - t0);
    if (rate > best) best = rate;
  }
  float sink = 0;
  for (int k = 0; k < CHAINS; k++) sink += acc[k][0];
  printf("peak: %.1f G multiply-adds/s (f32, one core, best of 5) [%g]\n", best / 1e9, sink);
  return 0;
}
