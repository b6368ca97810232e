#include "metadata/single_voter_quorum.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "metadata/test_util.h"

namespace moldau::metadata {
namespace {

using testing::TempDir;

std::unique_ptr<SingleVoterQuorum> open_quorum(const TempDir& dir) {
  auto q = SingleVoterQuorum::open(dir.path(), 1, [] { return int64_t(1234); });
  EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().message);
  return q.ok() ? std::move(q).value() : nullptr;
}

std::vector<CommittedBatch> replay_all(SingleVoterQuorum& q) {
  std::vector<CommittedBatch> out;
  Status s = q.replay([&](const CommittedBatch& b) {
    out.push_back(b);
    return Status();
  });
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return out;
}

Result<int64_t> append_sync(SingleVoterQuorum& q, std::vector<Record> records) {
  std::optional<Result<int64_t>> result;
  q.append(std::move(records), [&](Result<int64_t> r) { result = std::move(r); });
  EXPECT_TRUE(result.has_value()) << "a single voter commits before append returns";
  return result ? *result : Result<int64_t>(Error{});
}

Record topic(const std::string& name, uint64_t n) { return TopicRecord{name, TopicId::from_halves(n, n)}; }

TEST(SingleVoterQuorum, EmptyLog) {
  TempDir dir;
  auto q = open_quorum(dir);
  EXPECT_TRUE(replay_all(*q).empty());
  EXPECT_EQ(q->committed_offset(), -1);
  EXPECT_EQ(q->leader_id(), 1);
  EXPECT_TRUE(std::filesystem::exists(dir.sub("__cluster_metadata-0/metadata.log")));
}

TEST(SingleVoterQuorum, AppendCommitsAndNotifiesThenReplays) {
  TempDir dir;
  {
    auto q = open_quorum(dir);
    replay_all(*q);
    std::vector<CommittedBatch> seen;
    q->set_commit_listener([&](const CommittedBatch& b) { seen.push_back(b); });
    auto r1 = append_sync(*q, {topic("a", 1), topic("b", 2)});
    ASSERT_TRUE(r1.ok());
    EXPECT_EQ(r1.value(), 1);
    auto r2 = append_sync(*q, {topic("c", 3)});
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2.value(), 2);
    EXPECT_EQ(q->committed_offset(), 2);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1].base_offset, 2);
    EXPECT_EQ(seen[0].append_time_ms, 1234);
  }
  auto q = open_quorum(dir);
  auto batches = replay_all(*q);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].base_offset, 0);
  EXPECT_EQ(batches[0].records.size(), 2u);
  EXPECT_EQ(batches[0].records[1], topic("b", 2));
  EXPECT_EQ(batches[1].records[0], topic("c", 3));
  EXPECT_EQ(batches[1].epoch, kSingleVoterEpoch);
  EXPECT_EQ(q->committed_offset(), 2);
  auto r3 = append_sync(*q, {topic("d", 4)});
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3.value(), 3);
}

TEST(SingleVoterQuorum, EmptyBatchIsRefused) {
  TempDir dir;
  auto q = open_quorum(dir);
  replay_all(*q);
  auto r = append_sync(*q, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
}

// Writes two batches and returns the log path and the size after the first.
std::pair<std::string, int64_t> two_batches(const TempDir& dir) {
  auto q = open_quorum(dir);
  replay_all(*q);
  EXPECT_TRUE(append_sync(*q, {topic("a", 1)}).ok());
  int64_t first = int64_t(std::filesystem::file_size(q->log_path()));
  EXPECT_TRUE(append_sync(*q, {topic("b", 2), topic("c", 3)}).ok());
  return {q->log_path(), first};
}

TEST(SingleVoterQuorum, TornTailIsTruncatedAtEveryLength) {
  TempDir dir;
  auto [path, first] = two_batches(dir);
  int64_t full = int64_t(std::filesystem::file_size(path));
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  for (int64_t cut = first + 1; cut < full; ++cut) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), cut);
    }
    auto q = open_quorum(dir);
    auto batches = replay_all(*q);
    ASSERT_EQ(batches.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(q->truncated_bytes(), cut - first);
    EXPECT_EQ(int64_t(std::filesystem::file_size(path)), first);
    EXPECT_EQ(q->committed_offset(), 0);
  }
}

TEST(SingleVoterQuorum, DamagedLastBatchIsTruncatedAndAppendsContinue) {
  TempDir dir;
  auto [path, first] = two_batches(dir);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(first + 20);
    f.put('\x7f');
  }
  auto q = open_quorum(dir);
  ASSERT_EQ(replay_all(*q).size(), 1u);
  auto r = append_sync(*q, {topic("x", 9)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 1);
  auto again = open_quorum(dir);
  auto batches = replay_all(*again);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].records[0], topic("x", 9));
}

TEST(SingleVoterQuorum, DamageBeforeTheEndRefusesToStart) {
  TempDir dir;
  auto [path, first] = two_batches(dir);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(20);
    f.put('\x7f');
  }
  auto q = open_quorum(dir);
  Status s = q->replay([](const CommittedBatch&) { return Status(); });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kKafkaStorageError);
  EXPECT_NE(s.error().message.find("damaged"), std::string::npos) << s.error().message;
}

TEST(SingleVoterQuorum, OffsetGapIsRefused) {
  TempDir dir;
  {
    auto q = open_quorum(dir);
    replay_all(*q);
  }
  std::string path = dir.sub("__cluster_metadata-0/metadata.log");
  Bytes a = encode_metadata_frame(CommittedBatch{0, 1, 0, {topic("a", 1)}});
  Bytes b = encode_metadata_frame(CommittedBatch{5, 1, 0, {topic("b", 2)}});
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(a.data()), std::streamsize(a.size()));
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  }
  auto q = open_quorum(dir);
  Status s = q->replay([](const CommittedBatch&) { return Status(); });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("expected 1"), std::string::npos) << s.error().message;
}

TEST(SingleVoterQuorum, VisitorErrorStopsReplay) {
  TempDir dir;
  two_batches(dir);
  auto q = open_quorum(dir);
  int calls = 0;
  Status s = q->replay([&](const CommittedBatch&) {
    ++calls;
    return Status(Error{ErrorCode::kCorruptMessage, "nope"});
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(calls, 1);
}

TEST(SingleVoterQuorum, UnopenableDirectoryIsStorageError) {
  auto q = SingleVoterQuorum::open("/proc/definitely/not/here", 1);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code, ErrorCode::kKafkaStorageError);
}

}  // namespace
}  // namespace moldau::metadata
