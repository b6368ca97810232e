// A log-bucketed latency histogram in the style of HdrHistogram: every power of two
// is split into 64 linear sub-buckets, so a recorded value is known to within 1/64
// (about 1.6%) of itself, from 1 µs up to 2^63. Recording is one count increment, no
// allocation; histograms merge by adding counts (one per thread, merged at the end).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace loadgen {

class Histogram {
 public:
  static constexpr int kSubBits = 6;                  // 64 sub-buckets per octave
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  static int index_of(uint64_t v) {
    if (v < 2 * kSub) return static_cast<int>(v);     // exact below 128
    int msb = 63 - std::countl_zero(v);
    int shift = msb - kSubBits;
    return (shift + 1) * kSub + static_cast<int>((v >> shift) - kSub);
  }
  // Lowest and highest value that fall into bucket i.
  static uint64_t lower_of(int i) {
    if (i < 2 * kSub) return static_cast<uint64_t>(i);
    int shift = i / kSub - 1;
    return static_cast<uint64_t>(i % kSub + kSub) << shift;
  }
  static uint64_t upper_of(int i) {
    if (i < 2 * kSub) return static_cast<uint64_t>(i);
    int shift = i / kSub - 1;
    return lower_of(i) + ((uint64_t{1} << shift) - 1);
  }

  void record(uint64_t v) {
    ++counts_[index_of(v)];
    ++total_;
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
    sum_ += v;
  }
  void merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
    sum_ += o.sum_;
  }
  uint64_t count() const { return total_; }
  uint64_t max() const { return total_ ? max_ : 0; }
  uint64_t min() const { return total_ ? min_ : 0; }
  double mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }

  // The value at quantile q (0..1): the midpoint of the bucket holding the
  // ceil(q * count)-th smallest value, clamped to the observed min and max.
  uint64_t percentile(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.999999);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        uint64_t mid = lower_of(i) + (upper_of(i) - lower_of(i)) / 2;
        return std::clamp(mid, min(), max());
      }
    }
    return max_;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t sum_ = 0;
};

}  // namespace loadgen
