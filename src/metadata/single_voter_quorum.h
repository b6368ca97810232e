// A metadata quorum of one voter: this node is always the leader, and a batch
// is committed once it is written and fsynced to the local log file.
//
// File: <metadata dir>/__cluster_metadata-0/metadata.log, a sequence of
// length + CRC-32C framed batches (docs/metadata.md "Log file"). Replay
// truncates a torn last batch (a crash during a write) and refuses to start
// when a batch before the end is damaged, since a torn write can only be the
// last one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "metadata/quorum.h"

namespace moldau::metadata {

inline constexpr const char* kMetadataPartitionDir = "__cluster_metadata-0";
inline constexpr const char* kMetadataLogFile = "metadata.log";
// Largest batch frame accepted; metadata batches are a few KiB.
inline constexpr uint32_t kMaxMetadataFrameBytes = 16u << 20;
inline constexpr uint8_t kMetadataFrameMagic = 0;
// The epoch a single voter writes with; a Raft quorum starts its own epochs
// above it.
inline constexpr int32_t kSingleVoterEpoch = 1;

class SingleVoterQuorum final : public MetadataQuorum {
 public:
  using Clock = std::function<int64_t()>;  // wall clock, milliseconds

  // Opens (creating when absent) <metadata_dir>/__cluster_metadata-0/.
  static Result<std::unique_ptr<SingleVoterQuorum>> open(const std::string& metadata_dir,
                                                         int32_t node_id, Clock clock = {});
  ~SingleVoterQuorum() override;

  Status replay(const BatchVisitor& visitor) override;
  void set_commit_listener(CommitListener listener) override { listener_ = std::move(listener); }
  void append(std::vector<Record> records, AppendDone done) override;
  int64_t committed_offset() const override { return next_offset_ - 1; }
  std::optional<int32_t> leader_id() const override { return node_id_; }
  int32_t leader_epoch() const override { return kSingleVoterEpoch; }

  const std::string& log_path() const { return path_; }
  // Bytes cut off the end of the file by replay (a torn write), for tests and logs.
  int64_t truncated_bytes() const { return truncated_bytes_; }

 private:
  SingleVoterQuorum(std::string path, int fd, int32_t node_id, Clock clock);
  Status write_frame(const Bytes& frame);

  std::string path_;
  int fd_ = -1;
  int32_t node_id_;
  Clock clock_;
  CommitListener listener_;
  bool replayed_ = false;
  // After a failed fsync the state of the file is unknown; no more appends.
  bool failed_ = false;
  int64_t next_offset_ = 0;
  int64_t file_size_ = 0;
  int64_t truncated_bytes_ = 0;
};

// Encodes one batch frame (exposed for tests that damage files on purpose).
Bytes encode_metadata_frame(const CommittedBatch& batch);

}  // namespace moldau::metadata
