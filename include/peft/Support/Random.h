//===- Random.h - a portable pseudo-random generator ------------*- C++ -*-===//
//
// The generator behind every `seed=` option (LoRA `init=`, test data): the
// same seed gives the same numbers on every platform and C++ standard
// library, which std::uniform_real_distribution and std::normal_distribution
// do not promise.
//
// Algorithm: xoshiro256** (Blackman & Vigna) seeded by four SplitMix64
// outputs of the 64-bit seed. uniform01() takes the top 24 bits of one
// output, u = (x >> 40) · 2⁻²⁴ ∈ [0, 1), so every value is exact in float;
// uniform(lo, hi) = lo + (hi − lo) · u computed in double and rounded once.
// normal() is Box–Muller on two outputs with 53-bit uniforms in (0, 1],
// z = sqrt(−2 ln u1) · cos(2π u2), computed in double (the second value of
// the pair is not kept, so every draw uses two outputs).
//
//===----------------------------------------------------------------------===//

#ifndef PEFT_SUPPORT_RANDOM_H
#define PEFT_SUPPORT_RANDOM_H

#include <cstdint>

namespace mlir::peft {

class Random {
public:
  explicit Random(uint64_t seed);

  /// The next 64 raw bits.
  uint64_t next();
  /// A float in [0, 1) on the grid of 2⁻²⁴.
  float uniform01();
  /// A value in [lo, hi).
  double uniform(double lo, double hi);
  /// A normal deviate with the given mean and standard deviation.
  double normal(double mean = 0.0, double stddev = 1.0);

private:
  uint64_t state[4];
};

} // namespace mlir::peft

#endif // PEFT_SUPPORT_RANDOM_H
