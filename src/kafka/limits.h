// Bounds the Kafka layer applies to client input (ARCHITECTURE.md §5).
#pragma once
#include <cstddef>
#include <cstdint>

namespace moldau::kafka {

// Largest records section a produce batch may decompress to while it is
// validated: a decompression bomb costs at most this much memory.
constexpr size_t kMaxDecompressedBatchBytes = 128 * 1024 * 1024;
// Upper bound of a fetch response's records, whatever the client asks for.
constexpr int64_t kMaxFetchResponseBytes = 64 * 1024 * 1024;
// Longest a fetch may wait, whatever max_wait_ms says.
constexpr int32_t kMaxFetchWaitMs = 5 * 60 * 1000;

// A produce request with at least this many record bytes, over two or more
// partitions, appends its partitions in parallel on the append pool
// (num.io.threads). Below it, waking a helper costs more than it saves.
constexpr size_t kParallelAppendMinBytes = 64 * 1024;

}  // namespace moldau::kafka
