// The leader epoch cache of a partition (KIP-101): for each leader epoch, the
// first offset written in it, persisted as `leader-epoch-checkpoint`. Used by
// replication (OffsetForLeaderEpoch) and rebuilt from batch headers when a
// segment is recovered.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/checkpoint_file.h"

namespace moldau::storage {

class LeaderEpochCache {
 public:
  static constexpr const char* kFileName = "leader-epoch-checkpoint";

  LeaderEpochCache(FileOps* ops, std::string partition_dir)
      : ops_(ops), path_(partition_dir + "/" + kFileName) {}

  // Reads the file (a missing or malformed file gives an empty cache: it
  // is rebuilt from the batches that are recovered).
  void load();
  const std::vector<EpochEntry>& entries() const { return entries_; }
  std::optional<int32_t> latest_epoch() const;

  // Records that `epoch` starts at `offset` if it is newer than the latest;
  // returns whether the cache changed (then persist()).
  bool assign(int32_t epoch, int64_t offset);
  // Drops epochs starting at or after `end_offset` (log truncated to it).
  bool truncate_from_end(int64_t end_offset);
  // The log now starts at `start_offset`: the epoch covering it starts there.
  bool truncate_from_start(int64_t start_offset);
  // OffsetForLeaderEpoch: (largest epoch <= requested, its end offset), where
  // the end offset is the next epoch's start or log_end_offset. nullopt when
  // the requested epoch is older than every entry.
  std::optional<std::pair<int32_t, int64_t>> end_offset_for(int32_t epoch,
                                                            int64_t log_end_offset) const;
  Status persist() const;

 private:
  FileOps* ops_;
  std::string path_;
  std::vector<EpochEntry> entries_;
};

}  // namespace moldau::storage
