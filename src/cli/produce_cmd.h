// `moldau produce`: what is shown at the end (pure, tested). The command is
// declared in commands.h; the engine is producer.h.
#pragma once

#include <map>
#include <string>

#include "cli/output.h"
#include "cli/producer.h"

namespace moldau::cli {

struct ProduceSummary {
  std::string topic;
  std::map<int32_t, PartitionOutcome> partitions;
  int64_t records_read = 0;
  double seconds = 0;
  bool acks_none = false;
  bool interrupted = false;
  bool stopped = false;  // a connection failed: records in flight are unconfirmed

  int64_t records_ok() const;
  int64_t records_failed() const;
  int64_t bytes_ok() const;
  // Read but neither written nor refused (in flight when the run stopped).
  int64_t records_unconfirmed() const { return records_read - records_ok() - records_failed(); }
};

// One line for people, e.g. "Produced 40,000 records (3.8 MiB) to orders
// (partitions 0-3) in 0.52 s: 76,923 records/s, 7.3 MiB/s."
std::string render_produce_summary(const ProduceSummary& s);
Json produce_summary_json(const ProduceSummary& s);

}  // namespace moldau::cli
