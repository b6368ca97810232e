// The consumer-group records of __consumer_offsets (KIP-848): encode/decode
// round trips, Kafka's byte layout, strict decoding of bad bytes; and the
// coordinator's side: the records a join, an assignment, a leave and a
// deletion leave, and a replay that rebuilds the same group.
#include "coordinator/consumer_group_records.h"

#include <gtest/gtest.h>

#include "coordinator/consumer_group_coordinator.h"

namespace moldau::coordinator {
namespace {

const std::map<std::string, RecordTopicId, std::less<>> kIds = {{"orders", {1, 2}}, {"audit", {3, 4}}};

std::optional<RecordTopicId> id_of(std::string_view name) {
  auto it = kIds.find(name);
  if (it == kIds.end()) return std::nullopt;
  return it->second;
}
std::optional<std::string> name_of(const RecordTopicId& id) {
  for (const auto& [n, i] : kIds) {
    if (i == id) return n;
  }
  return std::nullopt;
}

ConsumerRecordValue round_trip(ConsumerRecordType type, const ConsumerRecordValue& v) {
  EXPECT_EQ(record_type_of(v), type);
  Bytes b = encode_value(v, id_of);
  auto d = decode_consumer_value(type, b, name_of);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
  return d.ok() ? *d : ConsumerRecordValue{};
}

TEST(ConsumerGroupRecords, KeysRoundTripWithKafkasLayout) {
  ConsumerRecordKey k{ConsumerRecordType::kMemberMetadata, "g", "m1"};
  Bytes b = encode_key(k);
  // int16 type 5, int16-length "g", int16-length "m1".
  EXPECT_EQ(b, (Bytes{0, 5, 0, 1, 'g', 0, 2, 'm', '1'}));
  auto d = decode_consumer_key(b);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, k);
  ConsumerRecordKey g{ConsumerRecordType::kGroupMetadata, "grp", ""};
  EXPECT_EQ(encode_key(g), (Bytes{0, 3, 0, 3, 'g', 'r', 'p'}));
  EXPECT_EQ(*decode_consumer_key(encode_key(g)), g);
  for (auto t : {ConsumerRecordType::kTargetAssignmentMetadata, ConsumerRecordType::kTargetAssignmentMember,
                 ConsumerRecordType::kCurrentMemberAssignment}) {
    ConsumerRecordKey x{t, "g", t == ConsumerRecordType::kTargetAssignmentMetadata ? "" : "m"};
    EXPECT_EQ(*decode_consumer_key(encode_key(x)), x);
  }
}

TEST(ConsumerGroupRecords, BadKeysAreRejected) {
  EXPECT_FALSE(decode_consumer_key(Bytes{0}).ok());
  EXPECT_FALSE(decode_consumer_key(Bytes{0, 2, 0, 1, 'g'}).ok());        // classic group metadata
  EXPECT_FALSE(decode_consumer_key(Bytes{0, 9, 0, 1, 'g'}).ok());        // share groups
  EXPECT_FALSE(decode_consumer_key(Bytes{0, 3, 0, 5, 'g'}).ok());        // short string
  EXPECT_FALSE(decode_consumer_key(Bytes{0, 3, 0xff, 0xff}).ok());       // null group id
  EXPECT_FALSE(decode_consumer_key(Bytes{0, 5, 0, 1, 'g'}).ok());        // member id missing
  EXPECT_FALSE(decode_consumer_key(Bytes{0, 3, 0, 1, 'g', 'x'}).ok());   // trailing byte
}

TEST(ConsumerGroupRecords, ValuesRoundTrip) {
  ConsumerGroupMetadataValue gm{42, 0x1234567890abcdefLL};
  EXPECT_EQ(std::get<ConsumerGroupMetadataValue>(round_trip(ConsumerRecordType::kGroupMetadata, gm)), gm);
  ConsumerGroupMetadataValue plain{7, 0};
  // Without a hash: version, epoch, no tagged fields.
  EXPECT_EQ(encode_value(plain, id_of), (Bytes{0, 0, 0, 0, 0, 7, 0}));

  ConsumerMemberMetadataValue mm;
  mm.instance_id = "inst";
  mm.client_id = "cid";
  mm.client_host = "/10.0.0.1";
  mm.subscribed_topic_names = {"audit", "orders"};
  mm.subscribed_topic_regex = "or.*";
  mm.rebalance_timeout_ms = 30000;
  mm.server_assignor = "range";
  EXPECT_EQ(std::get<ConsumerMemberMetadataValue>(round_trip(ConsumerRecordType::kMemberMetadata, mm)), mm);
  ConsumerMemberMetadataValue bare;
  EXPECT_EQ(std::get<ConsumerMemberMetadataValue>(round_trip(ConsumerRecordType::kMemberMetadata, bare)), bare);

  ConsumerTargetAssignmentMetadataValue ta{9};
  EXPECT_EQ(std::get<ConsumerTargetAssignmentMetadataValue>(
                round_trip(ConsumerRecordType::kTargetAssignmentMetadata, ta)),
            ta);
  ConsumerTargetAssignmentMemberValue tm{{{"orders", {0, 2, 5}}, {"audit", {1}}}};
  EXPECT_EQ(std::get<ConsumerTargetAssignmentMemberValue>(round_trip(ConsumerRecordType::kTargetAssignmentMember, tm)),
            tm);
  ConsumerCurrentAssignmentValue ca{5, 4, 1, {{"orders", {1, 3}}}, {{"audit", {0}}}};
  EXPECT_EQ(std::get<ConsumerCurrentAssignmentValue>(round_trip(ConsumerRecordType::kCurrentMemberAssignment, ca)),
            ca);
}

TEST(ConsumerGroupRecords, TopicsNobodyKnowsAreLeftOut) {
  ConsumerTargetAssignmentMemberValue tm{{{"orders", {0}}, {"gone", {1}}}};
  auto d = decode_consumer_value(ConsumerRecordType::kTargetAssignmentMember, encode_value(tm, id_of), name_of);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(std::get<ConsumerTargetAssignmentMemberValue>(*d).partitions, (PartitionSet{{"orders", {0}}}));
  // Written with a topic the reader does not know (deleted meanwhile).
  auto only_orders = [](const RecordTopicId& id) -> std::optional<std::string> {
    return id == RecordTopicId{1, 2} ? std::optional<std::string>("orders") : std::nullopt;
  };
  ConsumerCurrentAssignmentValue ca{1, 0, 0, {{"orders", {0}}, {"audit", {1}}}, {}};
  auto c = decode_consumer_value(ConsumerRecordType::kCurrentMemberAssignment, encode_value(ca, id_of), only_orders);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(std::get<ConsumerCurrentAssignmentValue>(*c).assigned, (PartitionSet{{"orders", {0}}}));
}

TEST(ConsumerGroupRecords, BadValuesAreRejected) {
  ConsumerCurrentAssignmentValue ca{5, 4, 0, {{"orders", {1, 3}}}, {}};
  Bytes good = encode_value(ca, id_of);
  const auto type = ConsumerRecordType::kCurrentMemberAssignment;
  ASSERT_TRUE(decode_consumer_value(type, good, name_of).ok());
  // Every truncation fails, never reads past the end.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_consumer_value(type, ByteSpan(good.data(), n), name_of).ok()) << n;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(decode_consumer_value(type, trailing, name_of).ok());
  Bytes version = good;
  version[1] = 1;  // a version this code does not know
  EXPECT_FALSE(decode_consumer_value(type, version, name_of).ok());
  // A huge array count: rejected before anything is allocated.
  Bytes huge = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f};
  EXPECT_FALSE(decode_consumer_value(type, huge, name_of).ok());
  // A negative partition.
  ConsumerTargetAssignmentMemberValue tm{{{"orders", {-1}}}};
  EXPECT_FALSE(decode_consumer_value(ConsumerRecordType::kTargetAssignmentMember, encode_value(tm, id_of), name_of)
                   .ok());
  // A group metadata hash of the wrong size.
  Bytes hash = {0, 0, 0, 0, 0, 1, 1, 0, 2, 0, 0};
  EXPECT_FALSE(decode_consumer_value(ConsumerRecordType::kGroupMetadata, hash, name_of).ok());
  // Partition metadata (type 4) is not read.
  EXPECT_FALSE(decode_consumer_value(ConsumerRecordType::kPartitionMetadata, Bytes{0, 0, 1, 0}, name_of).ok());
  // A null client id where the schema has none.
  Bytes null_client = {0, 0, 0, 0, 0};
  EXPECT_FALSE(decode_consumer_value(ConsumerRecordType::kMemberMetadata, null_client, name_of).ok());
}

// --- the coordinator ---------------------------------------------------------------

class Persist : public ::testing::Test {
 protected:
  ConsumerGroupCoordinator coord{ConsumerGroupConfig{}, 50, 7};
  TopicPartitionCounts topics{{"orders", 4}, {"audit", 2}};
  int64_t now = 1'000'000;

  ConsumerHeartbeatResponse join(const std::string& id, std::vector<std::string> subs = {"orders"}) {
    ConsumerHeartbeatRequest r;
    r.group_id = "g";
    r.member_id = id;
    r.member_epoch = 0;
    r.rebalance_timeout_ms = 30000;
    r.subscribed_topic_names = std::move(subs);
    r.owned = PartitionSet{};
    r.client_id = "client-" + id;
    r.client_host = "/127.0.0.1";
    return coord.heartbeat(r, topics, 1, now);
  }
  ConsumerHeartbeatResponse beat(const std::string& id, int32_t epoch, PartitionSet owned) {
    ConsumerHeartbeatRequest r;
    r.group_id = "g";
    r.member_id = id;
    r.member_epoch = epoch;
    r.owned = std::move(owned);
    r.client_id = "client-" + id;  // as the driver does: from the request header
    r.client_host = "/127.0.0.1";
    return coord.heartbeat(r, topics, 1, now);
  }

  // The records, encoded and decoded as the driver and a load would.
  static std::vector<std::pair<ConsumerRecordKey, std::optional<ConsumerRecordValue>>> through_bytes(
      const std::vector<ConsumerGroupRecord>& records) {
    std::vector<std::pair<ConsumerRecordKey, std::optional<ConsumerRecordValue>>> out;
    for (const auto& r : records) {
      auto k = decode_consumer_key(encode_key(r.key));
      EXPECT_TRUE(k.ok());
      std::optional<ConsumerRecordValue> v;
      if (r.value) {
        auto d = decode_consumer_value(r.key.type, encode_value(*r.value, id_of), name_of);
        EXPECT_TRUE(d.ok());
        v = *d;
      }
      out.emplace_back(*k, v);
    }
    return out;
  }
};

size_t count_type(const std::vector<ConsumerGroupRecord>& rs, ConsumerRecordType t, bool tombstone) {
  return size_t(std::count_if(rs.begin(), rs.end(),
                              [&](const auto& r) { return r.key.type == t && r.value.has_value() != tombstone; }));
}

TEST_F(Persist, JoinAssignmentAndLeaveLeaveRecords) {
  auto a = join("a");
  ASSERT_EQ(a.error, ErrorCode::kNone);
  auto rs = coord.take_records();
  const int32_t p = coord.group("g")->offsets_partition();
  for (const auto& r : rs) EXPECT_EQ(r.partition, p);
  // The first join writes every record of the group and the member.
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_EQ(rs[0].key, (ConsumerRecordKey{ConsumerRecordType::kMemberMetadata, "g", "a"}));
  EXPECT_EQ(rs[1].key.type, ConsumerRecordType::kGroupMetadata);
  EXPECT_EQ(std::get<ConsumerGroupMetadataValue>(*rs[1].value).epoch, 1);
  EXPECT_EQ(rs[2].key.type, ConsumerRecordType::kTargetAssignmentMember);
  EXPECT_EQ(std::get<ConsumerTargetAssignmentMemberValue>(*rs[2].value).partitions,
            (PartitionSet{{"orders", {0, 1, 2, 3}}}));
  EXPECT_EQ(rs[3].key.type, ConsumerRecordType::kTargetAssignmentMetadata);
  EXPECT_EQ(rs[4].key.type, ConsumerRecordType::kCurrentMemberAssignment);
  auto cur = std::get<ConsumerCurrentAssignmentValue>(*rs[4].value);
  EXPECT_EQ(cur.member_epoch, 1);
  EXPECT_EQ(cur.assigned, (PartitionSet{{"orders", {0, 1, 2, 3}}}));

  // A heartbeat that changes nothing writes nothing.
  ASSERT_EQ(beat("a", 1, a.assignment.value()).error, ErrorCode::kNone);
  EXPECT_TRUE(coord.take_records().empty());

  // A second member: new epoch, new target for both, "a" must revoke.
  auto b = join("b");
  rs = coord.take_records();
  EXPECT_EQ(count_type(rs, ConsumerRecordType::kMemberMetadata, false), 1u);
  EXPECT_EQ(count_type(rs, ConsumerRecordType::kGroupMetadata, false), 1u);
  EXPECT_EQ(count_type(rs, ConsumerRecordType::kTargetAssignmentMember, false), 2u);
  auto ra = beat("a", 1, a.assignment.value());  // told to revoke
  rs = coord.take_records();
  ASSERT_EQ(rs.size(), 1u);
  cur = std::get<ConsumerCurrentAssignmentValue>(*rs[0].value);
  EXPECT_EQ(cur.state, 1);  // unrevoked partitions
  EXPECT_EQ(partition_count(cur.pending_revocation), 2u);

  // The leave: tombstones for the member's three records.
  ASSERT_EQ(beat("b", -1, {}).error, ErrorCode::kNone);
  rs = coord.take_records();
  EXPECT_EQ(count_type(rs, ConsumerRecordType::kCurrentMemberAssignment, true), 1u);
  EXPECT_EQ(count_type(rs, ConsumerRecordType::kTargetAssignmentMember, true), 1u);
  EXPECT_EQ(count_type(rs, ConsumerRecordType::kMemberMetadata, true), 1u);
  for (const auto& r : rs) {
    if (!r.value) EXPECT_EQ(r.key.member_id, "b");
  }
  (void)ra;
  (void)b;

  // Session expiry writes too; deleting the empty group tombstones the rest.
  now += 100'000;
  coord.tick(now);
  rs = coord.take_records();
  EXPECT_EQ(count_type(rs, ConsumerRecordType::kMemberMetadata, true), 1u);
  ASSERT_EQ(coord.delete_group("g"), ErrorCode::kNone);
  rs = coord.take_records();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].key.type, ConsumerRecordType::kTargetAssignmentMetadata);
  EXPECT_EQ(rs[1].key.type, ConsumerRecordType::kGroupMetadata);
  EXPECT_FALSE(rs[0].value || rs[1].value);
}

TEST_F(Persist, ReplayRebuildsTheSameGroup) {
  std::vector<ConsumerGroupRecord> log;
  auto take = [&] {
    for (auto& r : coord.take_records()) log.push_back(std::move(r));
  };
  auto a = join("a");
  take();
  auto b = join("b", {"orders", "audit"});
  take();
  auto c = join("c");
  take();
  ASSERT_EQ(beat("c", -1, {}).error, ErrorCode::kNone);  // one member gone again
  take();
  // Mid-reconciliation: "a" was told to revoke, "b" may wait for them.
  auto ra = beat("a", a.member_epoch, *a.assignment);
  take();
  auto rb = beat("b", b.member_epoch, *b.assignment);
  take();
  const ConsumerGroup* before = coord.group("g");
  ASSERT_NE(before, nullptr);
  const auto image = before->record_image();
  const int32_t p = before->offsets_partition();
  const int32_t epoch = before->group_epoch();
  const std::string state = before->state();

  ConsumerGroupCoordinator other{ConsumerGroupConfig{}, 50, 8};
  other.begin_loading(p);
  for (const auto& [k, v] : through_bytes(log)) other.replay(p, k, v);
  const int64_t later = now + 5000;
  other.complete_loading(p, later);
  const ConsumerGroup* after = other.group("g");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->record_image(), image);
  EXPECT_EQ(after->group_epoch(), epoch);
  EXPECT_EQ(after->state(), state);
  EXPECT_EQ(after->members().size(), 2u);
  EXPECT_EQ(after->member("c"), nullptr);
  for (const auto& [id, m] : after->members()) {
    const ConsumerMember* o = before->member(id);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(m.assigned, o->assigned);
    EXPECT_EQ(m.pending_revocation, o->pending_revocation);
    EXPECT_EQ(m.member_epoch, o->member_epoch);
    EXPECT_EQ(m.state, o->state);
    EXPECT_EQ(after->target(id), before->target(id));
    EXPECT_EQ(m.session_deadline_ms, later + ConsumerGroupConfig{}.session_timeout_ms);  // from load time
    for (const auto& [t, ps] : m.assigned) {
      for (int32_t q : ps) EXPECT_EQ(after->owner(t, q), id);
    }
  }
  EXPECT_TRUE(other.take_records().empty());  // loading writes nothing

  // The members carry on in the loaded group: same epochs, no new group epoch.
  const ConsumerMember* ma = after->member("a");
  ConsumerHeartbeatRequest r;
  r.group_id = "g";
  r.member_id = "a";
  r.member_epoch = ma->member_epoch;
  r.owned = ma->assigned;
  r.client_id = "client-a";
  r.client_host = "/127.0.0.1";
  auto h = other.heartbeat(r, topics, 1, later);
  EXPECT_EQ(h.error, ErrorCode::kNone);
  EXPECT_EQ(h.member_epoch, ma->member_epoch);
  EXPECT_EQ(other.group("g")->group_epoch(), epoch);
  (void)ra;
  (void)rb;

  // A member's tombstones after its records remove it from a replay.
  ConsumerGroupCoordinator third{ConsumerGroupConfig{}, 50, 9};
  third.begin_loading(p);
  for (const auto& [k, v] : through_bytes(log)) third.replay(p, k, v);
  for (auto t : {ConsumerRecordType::kCurrentMemberAssignment, ConsumerRecordType::kTargetAssignmentMember,
                 ConsumerRecordType::kMemberMetadata}) {
    third.replay(p, ConsumerRecordKey{t, "g", "a"}, std::nullopt);
  }
  third.complete_loading(p, later);
  ASSERT_NE(third.group("g"), nullptr);
  EXPECT_EQ(third.group("g")->member("a"), nullptr);
  EXPECT_NE(third.group("g")->member("b"), nullptr);
}

TEST_F(Persist, TopicsChangedWhileUnloadedMoveTheEpoch) {
  auto a = join("a");
  std::vector<ConsumerGroupRecord> log = coord.take_records();
  const int32_t p = coord.group("g")->offsets_partition();
  ConsumerGroupCoordinator other{ConsumerGroupConfig{}, 50, 8};
  other.begin_loading(p);
  for (const auto& [k, v] : through_bytes(log)) other.replay(p, k, v);
  other.complete_loading(p, now);
  TopicPartitionCounts grown{{"orders", 6}, {"audit", 2}};
  ConsumerHeartbeatRequest r;
  r.group_id = "g";
  r.member_id = "a";
  r.member_epoch = a.member_epoch;
  r.owned = *a.assignment;
  auto h = other.heartbeat(r, grown, 7, now);
  EXPECT_EQ(h.error, ErrorCode::kNone);
  EXPECT_EQ(other.group("g")->group_epoch(), a.member_epoch + 1);
  EXPECT_EQ(partition_count(other.group("g")->target("a")), 6u);
}

TEST_F(Persist, UnloadForgetsWhatWasWritten) {
  join("a");
  coord.take_records();
  const int32_t p = coord.group("g")->offsets_partition();
  coord.unload(p);
  EXPECT_EQ(coord.group("g"), nullptr);
  coord.tick(now + 100'000);
  EXPECT_TRUE(coord.take_records().empty());
}

}  // namespace
}  // namespace moldau::coordinator
