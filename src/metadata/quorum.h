// The metadata log, shaped like a Raft log (ARCHITECTURE.md §2).
//
// The controller appends batches of records; a batch is committed when the
// quorum has made it durable (one voter: on its disk; Raft: on a majority).
// Every committed batch, at start-up (replay) and afterwards (the commit
// listener), reaches the image by the same path, so a node applies its own
// writes exactly as it applies writes it learns from a leader.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/error.h"
#include "metadata/records.h"

namespace moldau::metadata {

struct CommittedBatch {
  int64_t base_offset = 0;   // offset of records[0]; record i is at base_offset + i
  int32_t epoch = 0;         // leader epoch that wrote the batch
  int64_t append_time_ms = 0;
  std::vector<Record> records;
  int64_t last_offset() const { return base_offset + int64_t(records.size()) - 1; }
};

class MetadataQuorum {
 public:
  // Receives the offset of the batch's last record once committed, or why it
  // was not (NOT_CONTROLLER when this node cannot append, KAFKA_STORAGE_ERROR
  // when the disk failed). May run before append() returns.
  using AppendDone = std::function<void(Result<int64_t>)>;
  using BatchVisitor = std::function<Status(const CommittedBatch&)>;
  using CommitListener = std::function<void(const CommittedBatch&)>;

  virtual ~MetadataQuorum() = default;

  // Reads the committed log from the beginning and hands each batch to
  // `visitor`, in order; stops at the first error the visitor returns. Call
  // once, before anything else.
  virtual Status replay(const BatchVisitor& visitor) = 0;

  // Called for each batch committed after replay, in offset order, before
  // the batch's AppendDone.
  virtual void set_commit_listener(CommitListener listener) = 0;

  // Appends `records` as one batch (all or nothing). Requires replay().
  virtual void append(std::vector<Record> records, AppendDone done) = 0;

  // Offset of the last committed record; -1 when the log is empty.
  virtual int64_t committed_offset() const = 0;

  // The node that may append now (the active controller), if known.
  virtual std::optional<int32_t> leader_id() const = 0;
  virtual int32_t leader_epoch() const = 0;
};

}  // namespace moldau::metadata
