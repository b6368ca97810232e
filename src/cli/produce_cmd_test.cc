#include "cli/produce_cmd.h"

#include <gtest/gtest.h>

namespace moldau::cli {
namespace {

ProduceSummary sample() {
  ProduceSummary s;
  s.topic = "orders";
  s.records_read = 40000;
  s.seconds = 0.5;
  for (int p = 0; p < 4; ++p) {
    PartitionOutcome o;
    o.records_ok = 10000;
    o.bytes_ok = 1 << 20;
    o.first_offset = 0;
    o.last_offset = 9999;
    s.partitions[p] = o;
  }
  return s;
}

TEST(ProduceSummary, AllWritten) {
  EXPECT_EQ(render_produce_summary(sample()),
            "Produced 40,000 records (4.0 MiB) to orders (partitions 0-3) in 0.50 s: "
            "80,000 records/s, 8.0 MiB/s.\n");
}

TEST(ProduceSummary, FailuresAndUnconfirmedRecordsAreCounted) {
  ProduceSummary s = sample();
  s.partitions[2].records_ok = 0;
  s.partitions[2].bytes_ok = 0;
  s.partitions[2].records_failed = 9000;
  s.partitions[2].error = ErrorCode::kNotEnoughReplicas;
  s.partitions[2].error_message = "NOT_ENOUGH_REPLICAS: ...";
  s.stopped = true;
  EXPECT_EQ(s.records_unconfirmed(), 1000);
  EXPECT_EQ(render_produce_summary(s),
            "Produced 30,000 of 40,000 records (3.0 MiB) to orders (partitions 0-1,3) in 0.50 s: "
            "60,000 records/s, 6.0 MiB/s; 9,000 failed; 1,000 not confirmed.\n");
  std::string j = produce_summary_json(s).dump(-1);
  EXPECT_NE(j.find("\"records\":30000,\"failed\":9000,\"unconfirmed\":1000"), std::string::npos) << j;
  EXPECT_NE(j.find("{\"partition\":2,\"records\":0,\"failed\":9000,\"first_offset\":0,"
                   "\"last_offset\":9999,\"error\":\"NOT_ENOUGH_REPLICAS\""),
            std::string::npos)
      << j;
}

TEST(ProduceSummary, AcksZeroAndInterruptAndEmptyInput) {
  ProduceSummary s = sample();
  s.acks_none = true;
  s.interrupted = true;
  std::string out = render_produce_summary(s);
  EXPECT_EQ(out.rfind("Interrupted. Sent 40,000 records", 0), 0u) << out;
  EXPECT_NE(out.find("(acks=0: the broker does not confirm writes)"), std::string::npos) << out;
  ProduceSummary empty;
  empty.topic = "t";
  EXPECT_EQ(render_produce_summary(empty), "No input: nothing produced.\n");
  ProduceSummary one = sample();
  one.records_read = 1;
  one.partitions = {{0, PartitionOutcome{1, 0, 5, 7, 7, ErrorCode::kNone, ""}}};
  EXPECT_EQ(render_produce_summary(one).rfind("Produced 1 record (5 B) to orders (partition 0)", 0),
            0u);
}

}  // namespace
}  // namespace moldau::cli
