// The group driver over an in-memory __consumer_offsets: records are appended
// as one batch per partition per event before responses are delivered,
// failed appends answer the mapped error and reload the partition, a new
// driver over the same log gets the groups and offsets back, held requests
// are answered at shutdown, and the asio timer fires the coordinator's
// deadlines.
#include "kafka/groups/group_driver.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "coordinator/coordinator_test_util.h"
#include "kafka/limits.h"

namespace moldau::kafka::groups {
namespace {

namespace c = coordinator;
using c::testing::subscription;

// __consumer_offsets in memory: batches per partition, appends can be made to
// fail, and each append waits for flush() when `async` is set.
class MemoryLog final : public OffsetsLog {
 public:
  void append(int32_t partition, Bytes batch, std::function<void(Status)> done) override {
    if (fail_with) {
      done(Error{*fail_with, "injected"});
      return;
    }
    batches[partition].push_back(std::move(batch));
    ++appends;
    if (async) {
      pending.push_back(std::move(done));
    } else {
      done(Status());
    }
  }
  Status read(int32_t partition, const std::function<void(const protocol::Record&)>& fn) override {
    ++reads;
    for (const auto& b : batches[partition]) {
      auto records = protocol::decode_records(b, kMaxDecompressedBatchBytes);
      if (!records) return records.error();
      for (const auto& r : *records) fn(r);
    }
    return Status();
  }
  void flush() {
    auto p = std::move(pending);
    pending.clear();
    for (auto& d : p) d(Status());
  }
  size_t records_in(int32_t partition) {
    size_t n = 0;
    for (const auto& b : batches[partition]) n += protocol::decode_records(b, kMaxDecompressedBatchBytes)->size();
    return n;
  }

  std::map<int32_t, std::vector<Bytes>> batches;
  std::optional<ErrorCode> fail_with;
  bool async = false;
  std::vector<std::function<void(Status)>> pending;
  int appends = 0;
  int reads = 0;
};

c::CoordinatorConfig test_config() {
  c::CoordinatorConfig cfg;
  cfg.offsets_topic_num_partitions = 4;
  cfg.group.initial_rebalance_delay_ms = 0;
  cfg.member_id_seed = 7;
  return cfg;
}

class DriverTest : public ::testing::Test {
 protected:
  DriverTest() { make_driver(); }

  void make_driver(c::CoordinatorConfig cfg = test_config()) {
    driver.reset();
    driver = std::make_unique<GroupDriver>(io, cfg, log, [this] { return now; });
    for (int32_t p = 0; p < cfg.offsets_topic_num_partitions; ++p) driver->load(p);
  }

  // Moves the clock in 100 ms steps, ticking, until `done` (at most 60 s).
  template <typename F>
  void advance_until(F done) {
    for (int i = 0; i < 600 && !done(); ++i) {
      now += 100;
      driver->tick();
    }
  }

  c::JoinGroupRequest join_request(const std::string& group, int16_t version = 3) {
    c::JoinGroupRequest r;
    r.api_version = version;
    r.group_id = group;
    r.client_id = "client";
    r.client_host = "/127.0.0.1";
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.protocol_type = "consumer";
    r.protocols = c::testing::protocols("range", subscription({"orders"}));
    return r;
  }

  // Joins `group` as its only member and syncs: returns (member id, generation).
  std::pair<std::string, int32_t> form_group(const std::string& group) {
    std::optional<c::JoinGroupResponse> joined;
    driver->join(join_request(group), [&](const c::Response& r) { joined = std::get<c::JoinGroupResponse>(r); });
    EXPECT_FALSE(joined) << "the first join is held for the initial delay";
    advance_until([&] { return joined.has_value(); });
    EXPECT_TRUE(joined);
    if (!joined) return {};
    EXPECT_EQ(joined->error, ErrorCode::kNone);
    c::SyncGroupRequest s;
    s.group_id = group;
    s.generation_id = joined->generation_id;
    s.member_id = joined->member_id;
    s.assignments.push_back({joined->member_id, c::testing::assignment({{"orders", {0, 1}}})});
    std::optional<c::SyncGroupResponse> synced;
    driver->sync(s, [&](const c::Response& r) { synced = std::get<c::SyncGroupResponse>(r); });
    EXPECT_TRUE(synced);
    if (synced) {
      EXPECT_EQ(synced->error, ErrorCode::kNone);
    }
    return {joined->member_id, joined->generation_id};
  }

  std::vector<c::PartitionError> commit(const std::string& group, const std::string& member, int32_t generation,
                                        std::vector<std::pair<int32_t, int64_t>> offsets) {
    c::OffsetCommitRequest req;
    req.group_id = group;
    req.member_id = member;
    req.generation_id = generation;
    for (auto [p, o] : offsets) {
      c::OffsetCommitPartition cp;
      cp.tp = {"orders", p};
      cp.offset = o;
      req.partitions.push_back(cp);
    }
    std::optional<std::vector<c::PartitionError>> out;
    driver->commit_offsets(req, [&](std::vector<c::PartitionError> r) { out = std::move(r); });
    EXPECT_TRUE(out) << "the in-memory log acknowledges at once";
    return out.value_or(std::vector<c::PartitionError>{});
  }

  int64_t fetched(const std::string& group, int32_t partition) {
    c::OffsetFetchGroup g;
    g.group_id = group;
    g.partitions = std::vector<c::TopicPartition>{{"orders", partition}};
    auto r = driver->fetch_offsets({g});
    EXPECT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].error, ErrorCode::kNone);
    return r[0].partitions.at(0).offset;
  }

  asio::io_context io;
  MemoryLog log;
  int64_t now = 1'000'000;
  std::unique_ptr<GroupDriver> driver;
};

TEST(MapAppendError, AsKafkaMapsThem) {
  EXPECT_EQ(map_append_error(ErrorCode::kNone), ErrorCode::kNone);
  EXPECT_EQ(map_append_error(ErrorCode::kNotLeaderOrFollower), ErrorCode::kNotCoordinator);
  EXPECT_EQ(map_append_error(ErrorCode::kKafkaStorageError), ErrorCode::kNotCoordinator);
  EXPECT_EQ(map_append_error(ErrorCode::kUnknownTopicOrPartition), ErrorCode::kCoordinatorNotAvailable);
  EXPECT_EQ(map_append_error(ErrorCode::kNotEnoughReplicas), ErrorCode::kCoordinatorNotAvailable);
  EXPECT_EQ(map_append_error(ErrorCode::kRequestTimedOut), ErrorCode::kCoordinatorNotAvailable);
  EXPECT_EQ(map_append_error(ErrorCode::kMessageTooLarge), ErrorCode::kUnknownServerError);
  EXPECT_EQ(map_append_error(ErrorCode::kRecordListTooLarge), ErrorCode::kUnknownServerError);
}

TEST_F(DriverTest, TheLeadersSyncWritesTheGroupRecordBeforeAnswering) {
  log.async = true;
  std::optional<c::JoinGroupResponse> joined;
  driver->join(join_request("g"), [&](const c::Response& r) { joined = std::get<c::JoinGroupResponse>(r); });
  advance_until([&] { return joined.has_value(); });
  ASSERT_TRUE(joined);
  c::SyncGroupRequest s;
  s.group_id = "g";
  s.generation_id = joined->generation_id;
  s.member_id = joined->member_id;
  s.assignments.push_back({joined->member_id, c::testing::assignment({{"orders", {0}}})});
  std::optional<c::SyncGroupResponse> synced;
  driver->sync(s, [&](const c::Response& r) { synced = std::get<c::SyncGroupResponse>(r); });
  const int32_t p = driver->partition_for("g");
  EXPECT_EQ(log.records_in(p), 1u);
  EXPECT_FALSE(synced) << "answered before the append was acknowledged";
  log.flush();
  ASSERT_TRUE(synced);
  EXPECT_EQ(synced->error, ErrorCode::kNone);
  EXPECT_EQ(c::testing::assigned(synced->assignment), (std::vector<c::TopicPartitions>{{"orders", {0}}}));
  EXPECT_EQ(driver->held_requests(), 0u);
}

TEST_F(DriverTest, OneBatchPerPartitionPerEvent) {
  auto [member, gen] = form_group("g");
  const int32_t p = driver->partition_for("g");
  const size_t batches_before = log.batches[p].size();
  auto errors = commit("g", member, gen, {{0, 10}, {1, 20}, {2, 30}});
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& e : errors) EXPECT_EQ(e.error, ErrorCode::kNone);
  ASSERT_EQ(log.batches[p].size(), batches_before + 1) << "three offsets, one batch";
  auto records = protocol::decode_records(log.batches[p].back(), kMaxDecompressedBatchBytes);
  ASSERT_TRUE(records);
  EXPECT_EQ(records->size(), 3u);
  for (const auto& r : *records) {
    EXPECT_TRUE(r.key);
    EXPECT_TRUE(r.value);
  }
  for (const auto& [q, bs] : log.batches) {
    if (q != p) {
      EXPECT_TRUE(bs.empty()) << "partition " << q;
    }
  }
}

TEST_F(DriverTest, ARestartedDriverLoadsGroupsAndOffsets) {
  auto [member, gen] = form_group("g");
  ASSERT_EQ(commit("g", member, gen, {{0, 10}, {1, 20}})[0].error, ErrorCode::kNone);
  ASSERT_EQ(commit("g", member, gen, {{0, 15}})[0].error, ErrorCode::kNone);
  // A standalone commit (no group management) to another group.
  ASSERT_EQ(commit("solo", "", -1, {{3, 99}})[0].error, ErrorCode::kNone);

  make_driver();
  EXPECT_EQ(fetched("g", 0), 15) << "the last record of a key wins";
  EXPECT_EQ(fetched("g", 1), 20);
  EXPECT_EQ(fetched("g", 2), -1);
  EXPECT_EQ(fetched("solo", 3), 99);
  const c::Group* g = driver->core().group("g");
  ASSERT_NE(g, nullptr);
  auto described = driver->describe_groups({"g"});
  ASSERT_EQ(described.size(), 1u);
  EXPECT_EQ(described[0].state, "Stable");
  ASSERT_EQ(described[0].members.size(), 1u);
  EXPECT_EQ(described[0].members[0].member_id, member);
}

TEST_F(DriverTest, AFailedAppendAnswersTheMappedErrorAndReloads) {
  auto [member, gen] = form_group("g");
  ASSERT_EQ(commit("g", member, gen, {{0, 10}})[0].error, ErrorCode::kNone);
  const int reads_before = log.reads;
  log.fail_with = ErrorCode::kNotLeaderOrFollower;
  auto errors = commit("g", member, gen, {{0, 50}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(log.reads, reads_before + 1) << "the partition was reloaded";
  log.fail_with.reset();
  EXPECT_EQ(fetched("g", 0), 10) << "memory was ahead of the log; the reload undid it";

  // A heartbeat writes nothing: unaffected by a failing log.
  log.fail_with = ErrorCode::kRequestTimedOut;
  std::optional<c::HeartbeatResponse> hb;
  c::HeartbeatRequest h;
  h.group_id = "g";
  h.member_id = member;
  h.generation_id = gen;
  driver->heartbeat(h, [&](const c::Response& r) { hb = std::get<c::HeartbeatResponse>(r); });
  ASSERT_TRUE(hb);
  EXPECT_EQ(hb->error, ErrorCode::kNone);
  auto timed_out = commit("g", member, gen, {{0, 60}});
  ASSERT_EQ(timed_out.size(), 1u);
  EXPECT_EQ(timed_out[0].error, ErrorCode::kCoordinatorNotAvailable);
}

TEST_F(DriverTest, ShutdownAnswersHeldRequests) {
  std::optional<c::Response> joined;
  driver->join(join_request("g"), [&](const c::Response& r) { joined = r; });
  EXPECT_EQ(driver->held_requests(), 1u);
  driver->shutdown();
  ASSERT_TRUE(joined);
  EXPECT_EQ(std::visit([](const auto& x) { return x.error; }, *joined), ErrorCode::kNotCoordinator);
  EXPECT_EQ(driver->held_requests(), 0u);
}

TEST_F(DriverTest, UnloadAnswersHeldRequestsNotCoordinator) {
  std::optional<c::Response> joined;
  driver->join(join_request("g"), [&](const c::Response& r) { joined = r; });
  driver->unload(driver->partition_for("g"));
  ASSERT_TRUE(joined);
  EXPECT_EQ(std::visit([](const auto& x) { return x.error; }, *joined), ErrorCode::kNotCoordinator);
  // Requests for its groups now get NOT_COORDINATOR at once.
  std::optional<c::Response> again;
  driver->join(join_request("g"), [&](const c::Response& r) { again = r; });
  ASSERT_TRUE(again);
  EXPECT_EQ(std::visit([](const auto& x) { return x.error; }, *again), ErrorCode::kNotCoordinator);
}

TEST(DriverTimer, TheAsioTimerEndsTheJoinPhase) {
  asio::io_context io;
  MemoryLog log;
  auto cfg = test_config();
  cfg.group.initial_rebalance_delay_ms = 50;
  GroupDriver driver(io, cfg, log, [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  });
  for (int32_t p = 0; p < 4; ++p) driver.load(p);
  c::JoinGroupRequest r;
  r.api_version = 3;
  r.group_id = "g";
  r.client_id = "client";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 30000;
  r.protocol_type = "consumer";
  r.protocols = c::testing::protocols("range", subscription({"orders"}));
  std::optional<c::JoinGroupResponse> joined;
  const auto start = std::chrono::steady_clock::now();
  driver.join(r, [&](const c::Response& resp) { joined = std::get<c::JoinGroupResponse>(resp); });
  EXPECT_FALSE(joined);
  ASSERT_TRUE(driver.timer_deadline_ms());
  while (!joined && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->error, ErrorCode::kNone);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(45));
  // The member's session is the next deadline: the timer is armed for it.
  EXPECT_TRUE(driver.timer_deadline_ms());
}

}  // namespace
}  // namespace moldau::kafka::groups
