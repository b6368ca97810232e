// What `group list`, `group describe` and `group reset-offsets` show, and the
// reset plan (group_cmd.h).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "cli/group_cmd.h"

namespace moldau::cli {

const std::vector<std::string>& group_state_names() {
  // Classic states, then the KIP-848 ones (Assigning, Reconciling).
  static const std::vector<std::string> kStates = {
      "Empty", "Stable", "PreparingRebalance", "CompletingRebalance", "Dead",
      "Assigning", "Reconciling"};
  return kStates;
}

std::optional<std::string> canonical_group_state(std::string_view state) {
  auto lower = [](std::string_view s) {
    std::string out;
    for (char c : s) out += char(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  for (const auto& name : group_state_names())
    if (lower(name) == lower(state)) return name;
  return std::nullopt;
}

namespace {

constexpr int32_t kMaxPartition = 1000000;

Result<int32_t> parse_partition(std::string_view s, std::string_view spec) {
  int32_t v = -1;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0 || v >= kMaxPartition)
    return Error{ErrorCode::kInvalidRequest,
                 fmt::format("bad partition '{}' in '{}': want TOPIC or TOPIC:0,1,4-6", s, spec)};
  return v;
}

}  // namespace

Result<TopicSpec> parse_topic_spec(std::string_view text) {
  TopicSpec spec;
  size_t colon = text.rfind(':');
  spec.topic = std::string(text.substr(0, colon));
  if (spec.topic.empty())
    return Error{ErrorCode::kInvalidRequest,
                 fmt::format("no topic in '{}': want TOPIC or TOPIC:0,1,4-6", text)};
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  std::set<int32_t> parts;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto p = parse_partition(item, text);
      if (!p) return p.error();
      parts.insert(*p);
    } else {
      auto lo = parse_partition(item.substr(0, dash), text);
      if (!lo) return lo.error();
      auto hi = parse_partition(item.substr(dash + 1), text);
      if (!hi) return hi.error();
      if (*hi < *lo)
        return Error{ErrorCode::kInvalidRequest,
                     fmt::format("bad range '{}' in '{}': the first partition is larger", item, text)};
      if (size_t(*hi - *lo) + parts.size() >= kMaxPartitionsPerSpec)
        return Error{ErrorCode::kInvalidRequest,
                     fmt::format("too many partitions in '{}' (at most {})", text,
                                 kMaxPartitionsPerSpec)};
      for (int32_t p = *lo; p <= *hi; ++p) parts.insert(p);
    }
    if (parts.size() > kMaxPartitionsPerSpec)
      return Error{ErrorCode::kInvalidRequest,
                   fmt::format("too many partitions in '{}' (at most {})", text,
                               kMaxPartitionsPerSpec)};
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  spec.partitions.assign(parts.begin(), parts.end());
  return spec;
}

// ---- list ---------------------------------------------------------------------

std::string render_group_list(const std::vector<GroupListing>& groups) {
  if (groups.empty()) return "No groups.\n";
  bool any_type = std::any_of(groups.begin(), groups.end(),
                              [](const auto& g) { return !g.type.empty(); });
  std::vector<std::string> headers = {"GROUP", "STATE", "PROTOCOL-TYPE"};
  if (any_type) headers.push_back("TYPE");
  Table t(headers);
  for (const auto& g : groups) {
    std::vector<std::string> row = {g.group_id, g.state.empty() ? "-" : g.state,
                                    g.protocol_type.empty() ? "-" : g.protocol_type};
    if (any_type) row.push_back(g.type.empty() ? "-" : g.type);
    t.add_row(std::move(row));
  }
  return t.render();
}

Json group_list_json(const std::vector<GroupListing>& groups) {
  Json a = Json::array();
  for (const auto& g : groups) {
    Json o = Json::object();
    o.set("group", g.group_id);
    o.set("state", g.state.empty() ? Json() : Json(g.state));
    o.set("protocol_type", g.protocol_type);
    o.set("type", g.type.empty() ? Json() : Json(g.type));
    a.push(std::move(o));
  }
  return a;
}

// ---- describe ---------------------------------------------------------------

std::optional<int64_t> lag_of(const PartitionLag& p) {
  if (!p.committed || !p.end) return std::nullopt;
  return std::max<int64_t>(0, *p.end - *p.committed);
}

void collect_partitions(GroupDescription& d,
                        const std::vector<std::pair<TopicPartitionKey, int64_t>>& committed) {
  std::map<TopicPartitionKey, PartitionLag> by_key;
  for (const auto& [key, offset] : committed) {
    auto& p = by_key[key];
    p.topic = key.first;
    p.partition = key.second;
    p.committed = offset;
  }
  for (size_t i = 0; i < d.members.size(); ++i) {
    const auto& m = d.members[i];
    if (!m.assignment) continue;
    for (const auto& a : *m.assignment) {
      for (int32_t part : a.partitions) {
        auto& p = by_key[{a.topic, part}];
        p.topic = a.topic;
        p.partition = part;
        p.owner = int(i);
      }
    }
  }
  d.partitions.clear();
  for (auto& [key, p] : by_key) d.partitions.push_back(std::move(p));
}

namespace {

std::string opt_text(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }
Json opt_json(const std::optional<int64_t>& v) { return v ? Json(*v) : Json(); }

std::string assignment_text(const GroupMemberView& m) {
  if (!m.assignment) return "-";
  std::string out;
  for (const auto& a : *m.assignment) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}:{}", a.topic, id_ranges(a.partitions));
  }
  return out.empty() ? "-" : out;
}

}  // namespace

std::string render_group_describe(const GroupDescription& d) {
  std::string out = fmt::format("Group: {}\n", d.group_id);
  std::string protocol = d.protocol_type.empty() ? "-" : d.protocol_type;
  if (!d.protocol.empty()) protocol += fmt::format(" ({})", d.protocol);
  out += fmt::format("State: {}, protocol: {}, members: {}\n", d.state, protocol,
                     d.members.size());
  if (!d.members.empty()) {
    bool any_instance = std::any_of(d.members.begin(), d.members.end(),
                                    [](const auto& m) { return m.instance_id.has_value(); });
    std::vector<std::string> headers = {"MEMBER-ID"};
    if (any_instance) headers.push_back("INSTANCE-ID");
    for (const char* h : {"CLIENT-ID", "HOST", "PARTITIONS"}) headers.push_back(h);
    Table t(headers);
    for (const auto& m : d.members) {
      std::vector<std::string> row = {m.member_id};
      if (any_instance) row.push_back(m.instance_id.value_or("-"));
      row.push_back(m.client_id);
      row.push_back(m.host);
      row.push_back(assignment_text(m));
      t.add_row(std::move(row));
    }
    out += '\n' + t.render();
  }
  if (d.partitions.empty()) {
    out += "\nNo committed offsets and no assigned partitions.\n";
    return out;
  }
  bool any_error = std::any_of(d.partitions.begin(), d.partitions.end(),
                               [](const auto& p) { return !p.error.empty(); });
  std::vector<std::string> headers = {"TOPIC",    "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
                                      "LAG",      "CONSUMER-ID", "HOST",         "CLIENT-ID"};
  if (any_error) headers.push_back("ERROR");
  Table t(headers);
  int64_t total = 0;
  bool total_known = false;
  for (const auto& p : d.partitions) {
    auto lag = lag_of(p);
    if (lag) {
      total += *lag;
      total_known = true;
    }
    const GroupMemberView* owner = p.owner >= 0 ? &d.members[size_t(p.owner)] : nullptr;
    std::vector<std::string> row = {p.topic,
                                    std::to_string(p.partition),
                                    opt_text(p.committed),
                                    opt_text(p.end),
                                    opt_text(lag),
                                    owner ? owner->member_id : "-",
                                    owner ? owner->host : "-",
                                    owner ? owner->client_id : "-"};
    if (any_error) row.push_back(p.error);
    t.add_row(std::move(row));
  }
  out += '\n' + t.render();
  if (total_known) out += fmt::format("Total lag: {}\n", group_digits(total));
  return out;
}

Json group_describe_json(const GroupDescription& d) {
  Json o = Json::object();
  o.set("group", d.group_id);
  o.set("state", d.state);
  o.set("protocol_type", d.protocol_type);
  o.set("protocol", d.protocol);
  Json members = Json::array();
  for (const auto& m : d.members) {
    Json mo = Json::object();
    mo.set("member_id", m.member_id);
    mo.set("instance_id", m.instance_id ? Json(*m.instance_id) : Json());
    mo.set("client_id", m.client_id);
    mo.set("host", m.host);
    if (m.assignment) {
      Json as = Json::array();
      for (const auto& a : *m.assignment) {
        Json ao = Json::object();
        ao.set("topic", a.topic);
        Json ps = Json::array();
        for (int32_t p : a.partitions) ps.push(p);
        ao.set("partitions", std::move(ps));
        as.push(std::move(ao));
      }
      mo.set("assignment", std::move(as));
    } else {
      mo.set("assignment", nullptr);
    }
    members.push(std::move(mo));
  }
  o.set("members", std::move(members));
  Json parts = Json::array();
  int64_t total = 0;
  for (const auto& p : d.partitions) {
    Json po = Json::object();
    po.set("topic", p.topic);
    po.set("partition", p.partition);
    po.set("committed_offset", opt_json(p.committed));
    po.set("log_end_offset", opt_json(p.end));
    auto lag = lag_of(p);
    if (lag) total += *lag;
    po.set("lag", opt_json(lag));
    const GroupMemberView* owner = p.owner >= 0 ? &d.members[size_t(p.owner)] : nullptr;
    po.set("member_id", owner ? Json(owner->member_id) : Json());
    po.set("host", owner ? Json(owner->host) : Json());
    po.set("client_id", owner ? Json(owner->client_id) : Json());
    if (!p.error.empty()) po.set("error", p.error);
    parts.push(std::move(po));
  }
  o.set("partitions", std::move(parts));
  o.set("total_lag", total);
  return o;
}

// ---- reset plan ---------------------------------------------------------------

Result<std::vector<PlannedReset>> plan_reset(const ResetTarget& target,
                                             const std::vector<PartitionOffsets>& partitions) {
  std::vector<PlannedReset> plan;
  std::vector<std::string> no_commit;
  for (const auto& p : partitions) {
    PlannedReset r{p.topic, p.partition, p.committed, 0, {}};
    int64_t wanted = 0;
    switch (target.to) {
      case ResetTo::kEarliest: wanted = p.earliest; break;
      case ResetTo::kLatest: wanted = p.latest; break;
      case ResetTo::kDatetime:
        // No record at or after the time: the end, where the next one will be.
        wanted = p.at_time.value_or(p.latest);
        break;
      case ResetTo::kOffset: wanted = target.value; break;
      case ResetTo::kShiftBy:
        if (!p.committed) {
          no_commit.push_back(fmt::format("{}:{}", p.topic, p.partition));
          continue;
        }
        // Saturating: a shift of INT64_MIN must not wrap.
        if (target.value > 0 && *p.committed > INT64_MAX - target.value) wanted = INT64_MAX;
        else if (target.value < 0 && *p.committed < INT64_MIN - target.value) wanted = INT64_MIN;
        else wanted = *p.committed + target.value;
        break;
      case ResetTo::kNone:
        return Error{ErrorCode::kInvalidRequest, "no reset target"};
    }
    r.target = std::clamp(wanted, p.earliest, std::max(p.earliest, p.latest));
    if (r.target != wanted)
      r.note = wanted < p.earliest ? fmt::format("{} is before the log start; clamped", wanted)
                                   : fmt::format("{} is past the log end; clamped", wanted);
    plan.push_back(std::move(r));
  }
  if (!no_commit.empty())
    return Error{ErrorCode::kInvalidRequest,
                 fmt::format("--shift-by needs a committed offset, and {} {} none: reset {} "
                             "first with --to-earliest, --to-latest or --to-offset",
                             fmt::join(no_commit, ", "), no_commit.size() == 1 ? "has" : "have",
                             no_commit.size() == 1 ? "it" : "them")};
  std::sort(plan.begin(), plan.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  });
  return plan;
}

std::string render_reset_plan(const std::string& group, const std::vector<PlannedReset>& plan,
                              bool executed) {
  std::string out;
  if (plan.empty()) return fmt::format("Group {} has no partitions to reset.\n", group);
  bool any_note = std::any_of(plan.begin(), plan.end(), [](const auto& r) { return !r.note.empty(); });
  std::vector<std::string> headers = {"TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET"};
  if (any_note) headers.push_back("NOTE");
  Table t(headers);
  for (const auto& r : plan) {
    std::vector<std::string> row = {r.topic, std::to_string(r.partition), opt_text(r.current),
                                    std::to_string(r.target)};
    if (any_note) row.push_back(r.note);
    t.add_row(std::move(row));
  }
  out += t.render();
  if (executed)
    out += fmt::format("Committed the new offsets of {} partition{} for group {}.\n", plan.size(),
                       plan.size() == 1 ? "" : "s", group);
  else
    out += "Dry run: nothing was changed. Add --execute to commit these offsets.\n";
  return out;
}

Json reset_plan_json(const std::string& group, const std::vector<PlannedReset>& plan,
                     bool executed) {
  Json o = Json::object();
  o.set("group", group);
  o.set("executed", executed);
  Json parts = Json::array();
  for (const auto& r : plan) {
    Json po = Json::object();
    po.set("topic", r.topic);
    po.set("partition", r.partition);
    po.set("current_offset", opt_json(r.current));
    po.set("new_offset", r.target);
    if (!r.note.empty()) po.set("note", r.note);
    parts.push(std::move(po));
  }
  o.set("partitions", std::move(parts));
  return o;
}

}  // namespace moldau::cli
