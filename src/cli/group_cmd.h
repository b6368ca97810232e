// `moldau group list|describe|reset-offsets|delete|delete-offsets`
// (docs/cli.md, "group"). The requests are in group_cmd.cc; what is shown
// and the reset plan are pure functions here (group_view.cc), tested
// without a broker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/options.h"
#include "cli/output.h"

namespace CLI {
class App;
}

namespace moldau::cli {

// ---- options -------------------------------------------------------------

struct GroupListOptions {
  CommonOptions common;
  std::vector<std::string> states;  // empty: every state
};

struct GroupDescribeOptions {
  CommonOptions common;
  std::vector<std::string> groups;
};

enum class ResetTo { kNone, kEarliest, kLatest, kDatetime, kOffset, kShiftBy };

struct GroupResetOptions {
  CommonOptions common;
  std::string group;
  std::vector<std::string> topics;  // "T" or "T:0,2,4-6"
  bool all_topics = false;
  ResetTo to = ResetTo::kNone;
  std::string datetime;  // kDatetime: ms since the epoch or ISO-8601
  int64_t value = 0;     // kOffset: the offset; kShiftBy: the shift
  bool execute = false;
};

struct GroupDeleteOptions {
  CommonOptions common;
  std::vector<std::string> groups;
};

struct GroupDeleteOffsetsOptions {
  CommonOptions common;
  std::string group;
  std::vector<std::string> topics;  // "T" or "T:0,2,4-6"
};

void register_group_commands(CLI::App& app);
CLI::App* add_group_list(CLI::App& group, GroupListOptions& o);
CLI::App* add_group_describe(CLI::App& group, GroupDescribeOptions& o);
CLI::App* add_group_reset_offsets(CLI::App& group, GroupResetOptions& o);
CLI::App* add_group_delete(CLI::App& group, GroupDeleteOptions& o);
CLI::App* add_group_delete_offsets(CLI::App& group, GroupDeleteOffsetsOptions& o);

int run_group_list(const GroupListOptions& o);
int run_group_describe(const GroupDescribeOptions& o);
int run_group_reset_offsets(const GroupResetOptions& o);
int run_group_delete(const GroupDeleteOptions& o);
int run_group_delete_offsets(const GroupDeleteOffsetsOptions& o);

// ---- pure parts ------------------------------------------------------------

// Kafka's group state names, as ListGroups' filter and DescribeGroups use them.
const std::vector<std::string>& group_state_names();
// The canonical spelling of a state given in any case; nullopt if unknown.
std::optional<std::string> canonical_group_state(std::string_view state);

// "orders" -> all partitions; "orders:0,2,4-6" -> those. Bounded: at most
// kMaxPartitionsPerSpec partitions, each in [0, 1000000).
struct TopicSpec {
  std::string topic;
  std::vector<int32_t> partitions;  // sorted, unique; empty: every partition
};
constexpr size_t kMaxPartitionsPerSpec = 100000;
Result<TopicSpec> parse_topic_spec(std::string_view text);

struct GroupListing {
  std::string group_id;
  std::string state;
  std::string protocol_type;  // "consumer", "" for offsets-only groups
  std::string type;           // "classic", "consumer" (ListGroups v5+), else ""
};
std::string render_group_list(const std::vector<GroupListing>& groups);
Json group_list_json(const std::vector<GroupListing>& groups);

struct AssignedPartitions {
  std::string topic;
  std::vector<int32_t> partitions;
};

struct GroupMemberView {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string host;
  // Decoded from the consumer protocol assignment; nullopt when the group is
  // not a "consumer" group, not Stable, or the bytes do not decode.
  std::optional<std::vector<AssignedPartitions>> assignment;
};

struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  std::optional<int64_t> committed;  // nullopt: nothing committed
  std::optional<int64_t> end;        // log end offset; nullopt: unknown
  std::string error;                 // why the end offset is unknown
  int owner = -1;                    // index of the member it is assigned to
};
// end - committed, never negative; nullopt when either is unknown.
std::optional<int64_t> lag_of(const PartitionLag& p);

struct GroupDescription {
  std::string group_id;
  std::string state;
  std::string protocol_type;
  std::string protocol;  // the assignor, e.g. "range"
  std::vector<GroupMemberView> members;
  std::vector<PartitionLag> partitions;  // sorted by topic, partition
};

// Fills `d.partitions` with the union of committed and assigned partitions
// (owner set from the assignments), sorted by topic and partition.
using TopicPartitionKey = std::pair<std::string, int32_t>;
void collect_partitions(GroupDescription& d,
                        const std::vector<std::pair<TopicPartitionKey, int64_t>>& committed);

std::string render_group_describe(const GroupDescription& d);
Json group_describe_json(const GroupDescription& d);

// ---- reset-offsets plan -------------------------------------------------------

struct ResetTarget {
  ResetTo to = ResetTo::kNone;
  int64_t value = 0;  // kOffset / kShiftBy
};

// What is known about one partition to plan its reset.
struct PartitionOffsets {
  std::string topic;
  int32_t partition = 0;
  std::optional<int64_t> committed;
  int64_t earliest = 0;              // log start
  int64_t latest = 0;                // log end
  std::optional<int64_t> at_time;    // kDatetime: first offset at/after the time; nullopt: none
};

struct PlannedReset {
  std::string topic;
  int32_t partition = 0;
  std::optional<int64_t> current;
  int64_t target = 0;
  std::string note;  // e.g. "clamped to the log end 120"
};

// Kafka's rules (kafka-consumer-groups.sh --reset-offsets): an offset or
// shift outside [earliest, latest] is clamped to it; --to-datetime past the
// last record goes to the end; --shift-by needs a committed offset (an error
// names the partitions without one).
Result<std::vector<PlannedReset>> plan_reset(const ResetTarget& target,
                                             const std::vector<PartitionOffsets>& partitions);

std::string render_reset_plan(const std::string& group, const std::vector<PlannedReset>& plan,
                              bool executed);
Json reset_plan_json(const std::string& group, const std::vector<PlannedReset>& plan,
                     bool executed);

}  // namespace moldau::cli
