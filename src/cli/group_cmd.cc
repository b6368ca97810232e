// `moldau group ...` (docs/cli.md, "group"): ListGroups to every broker;
// DescribeGroups, OffsetFetch, OffsetCommit, DeleteGroups and OffsetDelete to
// the group's coordinator (FindCoordinator); end offsets with ListOffsets to
// each partition's leader.
#include "cli/group_cmd.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <thread>

#include "cli/commands.h"
#include "cli/consumer.h"
#include "cli/explain.h"
#include "cli/report.h"
#include "cli/timestamp.h"
#include "coordinator/consumer_protocol.h"
#include "protocol/msg/delete_groups_request.h"
#include "protocol/msg/delete_groups_response.h"
#include "protocol/msg/describe_groups_request.h"
#include "protocol/msg/describe_groups_response.h"
#include "protocol/msg/find_coordinator_request.h"
#include "protocol/msg/find_coordinator_response.h"
#include "protocol/msg/list_groups_request.h"
#include "protocol/msg/list_groups_response.h"
#include "protocol/msg/offset_commit_request.h"
#include "protocol/msg/offset_commit_response.h"
#include "protocol/msg/offset_delete_request.h"
#include "protocol/msg/offset_delete_response.h"
#include "protocol/msg/offset_fetch_request.h"
#include "protocol/msg/offset_fetch_response.h"

namespace moldau::cli {

namespace {

// OffsetFetch v10 and OffsetCommit v10 name topics by id only.
constexpr int16_t kLastOffsetVersionWithNames = 9;
// FindCoordinator answers COORDINATOR_NOT_AVAILABLE while __consumer_offsets
// is being created, COORDINATOR_LOAD_IN_PROGRESS while it loads.
constexpr int kCoordinatorAttempts = 30;
constexpr auto kCoordinatorBackoff = std::chrono::milliseconds(300);
// A request that the coordinator answers NOT_COORDINATOR (it moved) is sent
// again to the one FindCoordinator names then, this many times at most.
constexpr int kRequestAttempts = 3;

std::string said(const std::optional<std::string>& m) { return m.value_or(""); }

// Group errors in words a person can act on; others as explain() puts them.
std::string explain_group(ErrorCode code, const std::string& group, const std::string& topic = {},
                          const std::string& broker_message = {}) {
  std::string name(error_name(code));
  std::string text;
  switch (code) {
    case ErrorCode::kGroupIdNotFound:
      text = fmt::format("group '{}' does not exist (see `moldau group list`)", group);
      break;
    case ErrorCode::kNonEmptyGroup:
    case ErrorCode::kUnknownMemberId:
    case ErrorCode::kIllegalGeneration:
    case ErrorCode::kRebalanceInProgress:
      text = fmt::format("group '{}' has active members; stop its consumers first (see `moldau "
                         "group describe {}`)",
                         group, group);
      break;
    case ErrorCode::kGroupSubscribedToTopic:
      text = fmt::format("members of group '{}' are subscribed to topic '{}'; stop them or "
                         "change their subscription first",
                         group, topic);
      break;
    case ErrorCode::kInvalidGroupId:
      text = fmt::format("'{}' is not a valid group id", group);
      break;
    case ErrorCode::kCoordinatorNotAvailable:
    case ErrorCode::kCoordinatorLoadInProgress:
    case ErrorCode::kNotCoordinator:
      text = fmt::format("the coordinator of group '{}' is not available; try again in a moment",
                         group);
      break;
    case ErrorCode::kGroupAuthorizationFailed:
      text = fmt::format("not allowed to access group '{}'", group);
      break;
    default:
      return explain(code, {Operation::kOther, topic, {}, broker_message});
  }
  if (!broker_message.empty() && broker_message.find(name) == std::string::npos)
    return fmt::format("{}: {} (the broker says: {})", name, text, broker_message);
  return fmt::format("{}: {}", name, text);
}

bool coordinator_retriable(ErrorCode code) {
  return code == ErrorCode::kCoordinatorNotAvailable ||
         code == ErrorCode::kCoordinatorLoadInProgress || code == ErrorCode::kNotCoordinator;
}

// Connects and reads the cluster's brokers (no topics).
Result<std::unique_ptr<Client>> connect_cluster(const CommonOptions& common) {
  auto client = connect(common);
  if (!client) return client.error();
  auto md = (*client)->metadata(std::vector<std::string>{});
  if (!md) return md.error();
  return client;
}

// The connection to the coordinator of `group`, retrying while the broker
// says it is not available yet.
Result<Connection*> coordinator_for(Client& client, const std::string& group) {
  for (int attempt = 1;; ++attempt) {
    auto conn = client.any();
    if (!conn) return conn.error();
    protocol::FindCoordinatorRequest req;
    req.key = group;
    req.key_type = 0;
    req.coordinator_keys = {group};
    auto reply = call<protocol::FindCoordinatorResponse>(**conn, req);
    if (!reply) return reply.error();
    const auto& m = reply->msg;
    ErrorCode code = ErrorCode(m.error_code);
    int32_t node = m.node_id;
    std::string message = said(m.error_message);
    if (reply->version >= 4) {
      if (m.coordinators.size() != 1)
        return Error{ErrorCode::kInvalidRequest, "the broker answered FindCoordinator for the "
                                                 "wrong groups"};
      code = ErrorCode(m.coordinators[0].error_code);
      node = m.coordinators[0].node_id;
      message = said(m.coordinators[0].error_message);
    }
    if (code == ErrorCode::kNone) {
      if (!client.last_metadata().broker(node)) {
        auto md = client.metadata(std::vector<std::string>{});
        if (!md) return md.error();
      }
      return client.node(node);
    }
    if (!coordinator_retriable(code) || attempt >= kCoordinatorAttempts)
      return Error{code, explain_group(code, group, {}, message)};
    std::this_thread::sleep_for(kCoordinatorBackoff);
  }
}

// Runs `fn(conn)` against the coordinator of `group`; when it answers with
// a coordinator error (moved, loading), finds the coordinator again.
template <typename Fn>
auto with_coordinator(Client& client, const std::string& group, Fn fn) -> decltype(fn(nullptr)) {
  for (int attempt = 1;; ++attempt) {
    auto conn = coordinator_for(client, group);
    if (!conn) return conn.error();
    auto result = fn(*conn);
    if (result || !coordinator_retriable(result.error().code) || attempt >= kRequestAttempts)
      return result;
    std::this_thread::sleep_for(kCoordinatorBackoff);
  }
}

Result<protocol::DescribeGroupsResponse::DescribedGroup> describe_group(Client& client,
                                                                        const std::string& group) {
  using Described = protocol::DescribeGroupsResponse::DescribedGroup;
  return with_coordinator(client, group, [&](Connection* conn) -> Result<Described> {
    protocol::DescribeGroupsRequest req;
    req.groups = {group};
    auto reply = call<protocol::DescribeGroupsResponse>(*conn, req);
    if (!reply) return reply.error();
    if (reply->msg.groups.size() != 1 || reply->msg.groups[0].group_id != group)
      return Error{ErrorCode::kInvalidRequest, "the broker described the wrong groups"};
    Described d = std::move(reply->msg.groups[0]);
    if (d.error_code != 0 && ErrorCode(d.error_code) != ErrorCode::kGroupIdNotFound)
      return Error{ErrorCode(d.error_code),
                   explain_group(ErrorCode(d.error_code), group, {}, said(d.error_message))};
    if (ErrorCode(d.error_code) == ErrorCode::kGroupIdNotFound) d.group_state = "Dead";
    return d;
  });
}

using Committed = std::vector<std::pair<TopicPartitionKey, int64_t>>;

// Every committed offset of `group` (OffsetFetch with all topics).
Result<Committed> fetch_committed(Client& client, const std::string& group) {
  return with_coordinator(client, group, [&](Connection* conn) -> Result<Committed> {
    protocol::OffsetFetchRequest req;
    req.group_id = group;
    req.topics = std::nullopt;  // all
    protocol::OffsetFetchRequest::OffsetFetchRequestGroup g;
    g.group_id = group;
    g.topics = std::nullopt;
    req.groups.push_back(std::move(g));
    // v2 is the first with "all topics" and a top-level error.
    auto v = send_as(*conn, req, 2, true, kLastOffsetVersionWithNames);
    if (!v) return v.error();
    auto reply = receive_as<protocol::OffsetFetchResponse>(*conn);
    if (!reply) return reply.error();
    Committed out;
    ErrorCode code;
    auto add = [&](const std::string& topic, int32_t p, int64_t offset, int16_t error) {
      if (error == 0 && offset >= 0) out.push_back({{topic, p}, offset});
    };
    if (*v >= 8) {
      if (reply->msg.groups.size() != 1)
        return Error{ErrorCode::kInvalidRequest, "the broker fetched offsets of the wrong groups"};
      const auto& rg = reply->msg.groups[0];
      code = ErrorCode(rg.error_code);
      for (const auto& t : rg.topics)
        for (const auto& p : t.partitions)
          add(t.name, p.partition_index, p.committed_offset, p.error_code);
    } else {
      code = ErrorCode(reply->msg.error_code);
      for (const auto& t : reply->msg.topics)
        for (const auto& p : t.partitions)
          add(t.name, p.partition_index, p.committed_offset, p.error_code);
    }
    if (code != ErrorCode::kNone && code != ErrorCode::kGroupIdNotFound)
      return Error{code, explain_group(code, group)};
    return out;
  });
}

std::optional<std::vector<AssignedPartitions>> decode_member_assignment(
    const std::string& protocol_type, const Bytes& bytes) {
  if (protocol_type != coordinator::kConsumerProtocolType || bytes.empty()) return std::nullopt;
  auto a = coordinator::decode_assignment(ByteSpan(bytes.data(), bytes.size()));
  if (!a) return std::nullopt;
  std::vector<AssignedPartitions> out;
  for (const auto& tp : a->partitions) {
    AssignedPartitions ap{tp.topic, tp.partitions};
    std::sort(ap.partitions.begin(), ap.partitions.end());
    out.push_back(std::move(ap));
  }
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.topic < y.topic; });
  return out;
}

// Offsets of `partitions` of `topic` at `timestamp` (kEarliest, kLatest or ms).
Result<std::map<int32_t, int64_t>> topic_offsets(Client& client, const std::string& topic,
                                                 const std::vector<int32_t>& partitions,
                                                 int64_t timestamp) {
  Consumer consumer(client, topic);
  if (auto st = consumer.open(); !st) return st.error();
  return consumer.list_offsets(partitions, timestamp);
}

std::map<std::string, std::vector<int32_t>> by_topic(const std::vector<TopicPartitionKey>& keys) {
  std::map<std::string, std::vector<int32_t>> out;
  for (const auto& [t, p] : keys) out[t].push_back(p);
  return out;
}

}  // namespace

// ---- list ---------------------------------------------------------------------

int run_group_list(const GroupListOptions& o) {
  std::vector<std::string> states;
  for (const auto& s : o.states) {
    auto c = canonical_group_state(s);
    if (!c)
      return usage_error(fmt::format("unknown group state '{}': one of {}", s,
                                     fmt::join(group_state_names(), ", ")));
    states.push_back(*c);
  }
  auto client = connect_cluster(o.common);
  if (!client) return fail(client.error());
  // Each broker lists the groups it coordinates.
  std::map<std::string, GroupListing> found;
  std::vector<int32_t> nodes;
  for (const auto& b : (*client)->last_metadata().brokers) nodes.push_back(b.node_id);
  int rc = exit_code::kOk;
  for (int32_t node : nodes) {
    auto conn = (*client)->node(node);
    if (!conn) return fail(conn.error());
    protocol::ListGroupsRequest req;
    req.states_filter = states;
    auto reply = call<protocol::ListGroupsResponse>(**conn, req);
    if (!reply) return fail(reply.error());
    if (reply->msg.error_code != 0) {
      ErrorCode code = ErrorCode(reply->msg.error_code);
      print_error(fmt::format("broker {}: {}", node, explain_group(code, "")));
      rc = exit_code::kFailed;
      continue;
    }
    for (const auto& g : reply->msg.groups) {
      // Before v4 there is no filter on the broker (and no state to filter on).
      if (!states.empty() && !g.group_state.empty() &&
          std::find(states.begin(), states.end(), g.group_state) == states.end())
        continue;
      found[g.group_id] = {g.group_id, g.group_state, g.protocol_type, g.group_type};
    }
  }
  std::vector<GroupListing> groups;
  for (auto& [id, g] : found) groups.push_back(std::move(g));
  if (o.common.output == OutputFormat::kJson)
    print_out(group_list_json(groups).dump() + "\n");
  else
    print_out(render_group_list(groups));
  return rc;
}

// ---- describe ---------------------------------------------------------------

namespace {

Result<GroupDescription> describe_one(Client& client, const std::string& group) {
  auto described = describe_group(client, group);
  if (!described) return described.error();
  auto committed = fetch_committed(client, group);
  if (!committed) return committed.error();
  if (described->group_state == "Dead" && described->members.empty() && committed->empty())
    return Error{ErrorCode::kGroupIdNotFound, explain_group(ErrorCode::kGroupIdNotFound, group)};
  GroupDescription d;
  d.group_id = group;
  d.state = described->group_state;
  d.protocol_type = described->protocol_type;
  d.protocol = described->protocol_data;
  for (const auto& m : described->members) {
    d.members.push_back({m.member_id, m.group_instance_id, m.client_id, m.client_host,
                         decode_member_assignment(d.protocol_type, m.member_assignment)});
  }
  std::sort(d.members.begin(), d.members.end(), [](const auto& a, const auto& b) {
    return std::tie(a.client_id, a.member_id) < std::tie(b.client_id, b.member_id);
  });
  collect_partitions(d, *committed);
  std::vector<TopicPartitionKey> keys;
  for (const auto& p : d.partitions) keys.push_back({p.topic, p.partition});
  for (const auto& [topic, parts] : by_topic(keys)) {
    auto ends = topic_offsets(client, topic, parts, kLatest);
    for (auto& p : d.partitions) {
      if (p.topic != topic) continue;
      if (!ends) {
        p.error = std::string(error_name(ends.error().code));
        continue;
      }
      auto it = ends->find(p.partition);
      if (it != ends->end() && it->second >= 0) p.end = it->second;
    }
    if (!ends && exit_code_for(ends.error()) == exit_code::kUnreachable) return ends.error();
  }
  return d;
}

}  // namespace

int run_group_describe(const GroupDescribeOptions& o) {
  auto client = connect_cluster(o.common);
  if (!client) return fail(client.error());
  int rc = exit_code::kOk;
  Json all = Json::array();
  std::string text;
  for (const auto& group : o.groups) {
    auto d = describe_one(**client, group);
    if (!d) {
      print_error(d.error().message);
      int code = exit_code_for(d.error());
      if (code == exit_code::kUnreachable) return code;
      rc = exit_code::kFailed;
      continue;
    }
    if (o.common.output == OutputFormat::kJson) {
      all.push(group_describe_json(*d));
    } else {
      if (!text.empty()) text += '\n';
      text += render_group_describe(*d);
    }
  }
  print_out(o.common.output == OutputFormat::kJson ? all.dump() + "\n" : text);
  return rc;
}

// ---- reset-offsets ----------------------------------------------------------

namespace {

// The partitions to reset, with everything plan_reset() needs.
Result<std::vector<PartitionOffsets>> reset_inputs(Client& client, const GroupResetOptions& o,
                                                   const Committed& committed,
                                                   int64_t at_time_ms) {
  std::map<std::string, std::vector<int32_t>> wanted;
  if (o.all_topics) {
    std::vector<TopicPartitionKey> keys;
    for (const auto& [k, off] : committed) keys.push_back(k);
    wanted = by_topic(keys);
  } else {
    for (const auto& text : o.topics) {
      auto spec = parse_topic_spec(text);
      if (!spec) return spec.error();
      auto md = client.metadata(std::vector<std::string>{spec->topic});
      if (!md) return md.error();
      const TopicInfo* t = md->topic(spec->topic);
      ErrorCode code = t ? t->error : ErrorCode::kUnknownTopicOrPartition;
      if (code != ErrorCode::kNone)
        return Error{code, explain(code, {Operation::kOther, spec->topic, {}, {}})};
      auto& parts = wanted[spec->topic];
      if (spec->partitions.empty()) {
        for (const auto& p : t->partitions) parts.push_back(p.partition);
      } else {
        for (int32_t p : spec->partitions) {
          if (!t->partition(p))
            return Error{ErrorCode::kUnknownTopicOrPartition,
                         explain(ErrorCode::kUnknownTopicOrPartition,
                                 {Operation::kOther, spec->topic, p, {}})};
          parts.push_back(p);
        }
      }
    }
  }
  std::map<TopicPartitionKey, int64_t> committed_by_key(committed.begin(), committed.end());
  std::vector<PartitionOffsets> out;
  for (auto& [topic, parts] : wanted) {
    std::sort(parts.begin(), parts.end());
    parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
    auto earliest = topic_offsets(client, topic, parts, kEarliest);
    if (!earliest) return earliest.error();
    auto latest = topic_offsets(client, topic, parts, kLatest);
    if (!latest) return latest.error();
    std::map<int32_t, int64_t> at_time;
    if (o.to == ResetTo::kDatetime) {
      auto r = topic_offsets(client, topic, parts, at_time_ms);
      if (!r) return r.error();
      at_time = std::move(*r);
    }
    for (int32_t p : parts) {
      PartitionOffsets po;
      po.topic = topic;
      po.partition = p;
      if (auto it = committed_by_key.find({topic, p}); it != committed_by_key.end())
        po.committed = it->second;
      po.earliest = std::max<int64_t>(0, (*earliest)[p]);
      po.latest = std::max<int64_t>(po.earliest, (*latest)[p]);
      if (auto it = at_time.find(p); it != at_time.end() && it->second >= 0) po.at_time = it->second;
      out.push_back(std::move(po));
    }
  }
  return out;
}

Status commit_offsets(Client& client, const std::string& group,
                      const std::vector<PlannedReset>& plan) {
  return with_coordinator(client, group, [&](Connection* conn) -> Status {
    protocol::OffsetCommitRequest req;
    req.group_id = group;
    req.generation_id_or_member_epoch = -1;  // not a member: allowed for an Empty group
    req.member_id = "";
    for (const auto& r : plan) {
      if (req.topics.empty() || req.topics.back().name != r.topic) {
        protocol::OffsetCommitRequest::OffsetCommitRequestTopic t;
        t.name = r.topic;
        req.topics.push_back(std::move(t));
      }
      protocol::OffsetCommitRequest::OffsetCommitRequestPartition p;
      p.partition_index = r.partition;
      p.committed_offset = r.target;
      p.committed_metadata = "";
      req.topics.back().partitions.push_back(std::move(p));
    }
    auto v = send_as(*conn, req, 2, true, kLastOffsetVersionWithNames);
    if (!v) return v.error();
    auto reply = receive_as<protocol::OffsetCommitResponse>(*conn);
    if (!reply) return reply.error();
    for (const auto& t : reply->msg.topics) {
      for (const auto& p : t.partitions) {
        if (p.error_code == 0) continue;
        ErrorCode code = ErrorCode(p.error_code);
        return Error{code, fmt::format("partition {} of topic '{}': {}", p.partition_index,
                                       t.name, explain_group(code, group, t.name))};
      }
    }
    return {};
  });
}

}  // namespace

int run_group_reset_offsets(const GroupResetOptions& o) {
  if (o.to == ResetTo::kNone)
    return usage_error("say where to: --to-earliest, --to-latest, --to-datetime TS, "
                       "--to-offset N or --shift-by N");
  if (o.all_topics == !o.topics.empty())
    return usage_error("say which partitions: --topic TOPIC[:PARTITIONS] (repeatable) or "
                       "--all-topics");
  for (const auto& t : o.topics)
    if (auto spec = parse_topic_spec(t); !spec) return usage_error(spec.error().message);
  int64_t at_time_ms = 0;
  if (o.to == ResetTo::kDatetime) {
    auto ts = parse_timestamp_ms(o.datetime);
    if (!ts) return usage_error(fmt::format("--to-datetime: {}", ts.error().message));
    at_time_ms = *ts;
  }
  auto client = connect_cluster(o.common);
  if (!client) return fail(client.error());
  auto described = describe_group(**client, o.group);
  if (!described) return fail(described.error());
  // As Kafka's tool: consumers that are running would overwrite the new
  // offsets with their positions, so the group must be inactive.
  if (described->group_state != "Empty" && described->group_state != "Dead") {
    print_error(fmt::format(
        "group '{}' is {} with {} active member{}; offsets can be reset only when the group is "
        "inactive. Stop its consumers first (see `moldau group describe {}`).",
        o.group, described->group_state, described->members.size(),
        described->members.size() == 1 ? "" : "s", o.group));
    return exit_code::kFailed;
  }
  auto committed = fetch_committed(**client, o.group);
  if (!committed) return fail(committed.error());
  auto inputs = reset_inputs(**client, o, *committed, at_time_ms);
  if (!inputs) return fail(inputs.error());
  auto plan = plan_reset({o.to, o.value}, *inputs);
  if (!plan) {
    print_error(plan.error().message);
    return exit_code::kFailed;
  }
  if (o.execute && !plan->empty()) {
    if (auto st = commit_offsets(**client, o.group, *plan); !st) return fail(st.error());
  }
  if (o.common.output == OutputFormat::kJson)
    print_out(reset_plan_json(o.group, *plan, o.execute).dump() + "\n");
  else
    print_out(render_reset_plan(o.group, *plan, o.execute));
  return exit_code::kOk;
}

// ---- delete -----------------------------------------------------------------

int run_group_delete(const GroupDeleteOptions& o) {
  auto client = connect_cluster(o.common);
  if (!client) return fail(client.error());
  int rc = exit_code::kOk;
  Json results = Json::array();
  std::string text;
  for (const auto& group : o.groups) {
    auto result = with_coordinator(**client, group, [&](Connection* conn) -> Status {
      protocol::DeleteGroupsRequest req;
      req.groups_names = {group};
      auto reply = call<protocol::DeleteGroupsResponse>(*conn, req);
      if (!reply) return reply.error();
      for (const auto& r : reply->msg.results) {
        if (r.group_id != group) continue;
        ErrorCode code = ErrorCode(r.error_code);
        if (code == ErrorCode::kNone) return {};
        return Error{code, explain_group(code, group, {}, said(r.error_message))};
      }
      return Error{ErrorCode::kUnknownServerError, "the broker did not answer for this group"};
    });
    Json j = Json::object();
    j.set("group", group);
    j.set("deleted", bool(result));
    if (result) {
      text += fmt::format("Deleted group {}.\n", group);
      j.set("error", nullptr);
    } else {
      print_error(result.error().message);
      j.set("error", error_name(result.error().code));
      int code = exit_code_for(result.error());
      if (code == exit_code::kUnreachable) return code;
      rc = exit_code::kFailed;
    }
    results.push(std::move(j));
  }
  print_out(o.common.output == OutputFormat::kJson ? results.dump() + "\n" : text);
  return rc;
}

// ---- delete-offsets -----------------------------------------------------------

int run_group_delete_offsets(const GroupDeleteOffsetsOptions& o) {
  std::vector<TopicSpec> specs;
  for (const auto& t : o.topics) {
    auto spec = parse_topic_spec(t);
    if (!spec) return usage_error(spec.error().message);
    specs.push_back(std::move(*spec));
  }
  auto client = connect_cluster(o.common);
  if (!client) return fail(client.error());
  protocol::OffsetDeleteRequest req;
  req.group_id = o.group;
  for (const auto& spec : specs) {
    auto md = (*client)->metadata(std::vector<std::string>{spec.topic});
    if (!md) return fail(md.error());
    const TopicInfo* t = md->topic(spec.topic);
    ErrorCode code = t ? t->error : ErrorCode::kUnknownTopicOrPartition;
    if (code != ErrorCode::kNone) {
      print_error(explain(code, {Operation::kOther, spec.topic, {}, {}}));
      return exit_code::kFailed;
    }
    protocol::OffsetDeleteRequest::OffsetDeleteRequestTopic rt;
    rt.name = spec.topic;
    std::vector<int32_t> parts = spec.partitions;
    if (parts.empty())
      for (const auto& p : t->partitions) parts.push_back(p.partition);
    for (int32_t p : parts) rt.partitions.push_back({p, {}});
    req.topics.push_back(std::move(rt));
  }
  using Answer = protocol::OffsetDeleteResponse;
  auto reply = with_coordinator(**client, o.group, [&](Connection* conn) -> Result<Answer> {
    auto r = call<Answer>(*conn, req);
    if (!r) return r.error();
    ErrorCode code = ErrorCode(r->msg.error_code);
    if (code != ErrorCode::kNone) return Error{code, explain_group(code, o.group)};
    return std::move(r->msg);
  });
  if (!reply) return fail(reply.error());
  int rc = exit_code::kOk;
  Json results = Json::array();
  std::string text;
  for (const auto& t : reply->topics) {
    std::vector<int32_t> deleted;
    for (const auto& p : t.partitions) {
      ErrorCode code = ErrorCode(p.error_code);
      Json j = Json::object();
      j.set("topic", t.name);
      j.set("partition", p.partition_index);
      j.set("error", code == ErrorCode::kNone ? Json() : Json(error_name(code)));
      results.push(std::move(j));
      if (code == ErrorCode::kNone) {
        deleted.push_back(p.partition_index);
        continue;
      }
      print_error(fmt::format("partition {} of topic '{}': {}", p.partition_index, t.name,
                              explain_group(code, o.group, t.name)));
      rc = exit_code::kFailed;
    }
    if (!deleted.empty())
      text += fmt::format("Deleted the committed offsets of group {} for topic {} (partitions "
                          "{}).\n",
                          o.group, t.name, id_ranges(deleted));
  }
  print_out(o.common.output == OutputFormat::kJson ? results.dump() + "\n" : text);
  return rc;
}

// ---- arguments ----------------------------------------------------------------

namespace {

CLI::Option* add_topics(CLI::App* cmd, std::vector<std::string>& v, const std::string& help) {
  return cmd->add_option("-t,--topic", v, help)
      ->allow_extra_args(false)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("TOPIC[:PARTITIONS]");
}

template <typename Options, typename Add, typename Run>
void command(CLI::App& parent, Add add, Run run) {
  auto options = std::make_shared<Options>();
  add(parent, *options)->callback([options, run] {
    int code = run(*options);
    if (code != exit_code::kOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace

CLI::App* add_group_list(CLI::App& group, GroupListOptions& o) {
  auto* cmd = group.add_subcommand("list", "List consumer groups");
  cmd->add_option("-s,--state", o.states,
                  "Only groups in this state (repeatable): Empty, Stable, PreparingRebalance, "
                  "CompletingRebalance, Dead, Assigning, Reconciling")
      ->allow_extra_args(false)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  add_common_options(cmd, o.common);
  return cmd;
}

CLI::App* add_group_describe(CLI::App& group, GroupDescribeOptions& o) {
  auto* cmd = group.add_subcommand(
      "describe", "Members, their partitions, and committed offset, end offset and lag per partition");
  cmd->add_option("groups", o.groups, "Groups to describe")->required();
  add_common_options(cmd, o.common);
  return cmd;
}

CLI::App* add_group_reset_offsets(CLI::App& group, GroupResetOptions& o) {
  auto* cmd = group.add_subcommand(
      "reset-offsets", "Set a stopped group's committed offsets (a dry run unless --execute)");
  cmd->add_option("group", o.group, "Group whose offsets to set")->required();
  auto* topics = add_topics(cmd, o.topics, "Topic, optionally with partitions: orders:0,2,4-6 "
                                           "(repeatable)");
  auto* all = cmd->add_flag("--all-topics", o.all_topics,
                            "Every topic the group has committed offsets for");
  topics->excludes(all);
  auto* earliest = cmd->add_flag_callback(
      "--to-earliest", [&o] { o.to = ResetTo::kEarliest; }, "To the oldest record");
  auto* latest = cmd->add_flag_callback(
      "--to-latest", [&o] { o.to = ResetTo::kLatest; }, "To the end (skip everything)");
  auto* datetime = cmd->add_option_function<std::string>(
      "--to-datetime",
      [&o](const std::string& v) {
        o.datetime = v;
        o.to = ResetTo::kDatetime;
      },
      "To the first record at or after TS: ms since the epoch or ISO-8601 "
      "(2024-05-01T12:00:00Z; without a zone: local time)");
  auto* offset = cmd->add_option_function<int64_t>(
      "--to-offset",
      [&o](const int64_t& v) {
        o.value = v;
        o.to = ResetTo::kOffset;
      },
      "To this offset (clamped to each partition's records)");
  auto* shift = cmd->add_option_function<int64_t>(
      "--shift-by",
      [&o](const int64_t& v) {
        o.value = v;
        o.to = ResetTo::kShiftBy;
      },
      "Move each committed offset by N (negative: back)");
  std::vector<CLI::Option*> targets = {earliest, latest, datetime, offset, shift};
  for (size_t i = 0; i < targets.size(); ++i)
    for (size_t j = i + 1; j < targets.size(); ++j) targets[i]->excludes(targets[j]);
  cmd->add_flag("--execute", o.execute, "Commit the new offsets (default: only show them)");
  add_common_options(cmd, o.common);
  return cmd;
}

CLI::App* add_group_delete(CLI::App& group, GroupDeleteOptions& o) {
  auto* cmd = group.add_subcommand("delete", "Delete stopped groups and their committed offsets");
  cmd->add_option("groups", o.groups, "Groups to delete")->required();
  add_common_options(cmd, o.common);
  return cmd;
}

CLI::App* add_group_delete_offsets(CLI::App& group, GroupDeleteOffsetsOptions& o) {
  auto* cmd = group.add_subcommand("delete-offsets",
                                   "Delete a group's committed offsets of some topics");
  cmd->add_option("group", o.group, "Group whose offsets to delete")->required();
  add_topics(cmd, o.topics, "Topic, optionally with partitions: orders:0,2 (repeatable)")
      ->required();
  add_common_options(cmd, o.common);
  return cmd;
}

void register_group_commands(CLI::App& app) {
  auto* group = app.add_subcommand(
      "group", "List, describe and delete consumer groups; reset their offsets");
  group->require_subcommand(1);
  command<GroupListOptions>(*group, add_group_list, run_group_list);
  command<GroupDescribeOptions>(*group, add_group_describe, run_group_describe);
  command<GroupResetOptions>(*group, add_group_reset_offsets, run_group_reset_offsets);
  command<GroupDeleteOptions>(*group, add_group_delete, run_group_delete);
  command<GroupDeleteOffsetsOptions>(*group, add_group_delete_offsets, run_group_delete_offsets);
}

}  // namespace moldau::cli
