//===- Random.cpp - a portable pseudo-random generator --------------------===//

#include "peft/Support/Random.h"

#include <cmath>

using namespace mlir::peft;

static uint64_t splitMix64(uint64_t &x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

Random::Random(uint64_t seed) {
  for (uint64_t &word : state)
    word = splitMix64(seed);
}

uint64_t Random::next() {
  uint64_t result = rotl(state[1] * 5, 7) * 9;
  uint64_t t = state[1] << 17;
  state[2] ^= state[0];
  state[3] ^= state[1];
  state[1] ^= state[2];
  state[0] ^= state[3];
  state[2] ^= t;
  state[3] = rotl(state[3], 45);
  return result;
}

float Random::uniform01() { return float(next() >> 40) * 0x1p-24f; }

double Random::uniform(double lo, double hi) {
  return lo + (hi - lo) * double(uniform01());
}

double Random::normal(double mean, double stddev) {
  // (0, 1]: never log(0).
  double u1 = double((next() >> 11) + 1) * 0x1p-53;
  double u2 = double(next() >> 11) * 0x1p-53;
  double radius = std::sqrt(-2.0 * std::log(u1));
  return mean + stddev * radius * std::cos(2.0 * M_PI * u2);
}
