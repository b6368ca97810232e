// memcpy_bw: this machine's memory copy bandwidth, for bench/limits.sh.
//
//   memcpy_bw [seconds]
//
// Prints one JSON line: GB/s for copies of 256 MiB buffers (main memory: reads one
// GB and writes one GB per GB counted) and of 64 KiB buffers (L2-resident), each
// the best of several runs of about a third of the time budget.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double bandwidth(size_t size, double budget_s) {
  std::vector<char> a(size, 1), b(size, 2);
  std::memcpy(b.data(), a.data(), size);  // fault the pages in
  double best = 0;
  const double end = now_s() + budget_s;
  while (now_s() < end) {
    size_t reps = 0, bytes = 0;
    const double t0 = now_s();
    double t1 = t0;
    while (t1 - t0 < 0.1) {
      std::memcpy(reps & 1 ? a.data() : b.data(), reps & 1 ? b.data() : a.data(), size);
      bytes += size;
      ++reps;
      t1 = now_s();
    }
    best = std::max(best, bytes / (t1 - t0) / 1e9);
  }
  volatile char sink = a[size / 2] + b[size / 3];
  (void)sink;
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const double secs = argc > 1 ? std::atof(argv[1]) : 3.0;
  const double big = bandwidth(size_t(256) << 20, secs / 2);
  const double small = bandwidth(size_t(64) << 10, secs / 2);
  std::printf("{\"memcpy_256MiB_gb_s\":%.2f,\"memcpy_64KiB_gb_s\":%.2f}\n", big, small);
  return 0;
}
