#include "coordinator/consumer_group_assignor.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace moldau::coordinator {

namespace {

using TP = std::pair<std::string, int32_t>;

// The uniform assignor's balancing moves a partition at a time when members
// subscribe to different topics; each move lowers the spread, and this bounds
// the work of one computation on a large group.
constexpr size_t kMaxBalanceMoves = 100000;

std::vector<const AssignorMember*> by_id(const AssignorInput& in) {
  std::vector<const AssignorMember*> ms;
  for (const auto& m : in.members) ms.push_back(&m);
  std::sort(ms.begin(), ms.end(), [](auto* a, auto* b) { return a->member_id < b->member_id; });
  return ms;
}

// The previous target's partitions of `m` that are still valid for it, each
// claimed at most once across members (`claimed`).
std::vector<TP> retained(const AssignorInput& in, const AssignorMember& m, std::set<TP>& claimed) {
  std::vector<TP> out;
  auto prev = in.previous.find(m.member_id);
  if (prev == in.previous.end()) return out;
  for (const auto& [topic, ps] : prev->second) {
    auto count = in.partitions.find(topic);
    if (count == in.partitions.end() || !m.topics.contains(topic)) continue;
    for (int32_t p : ps) {
      if (p < 0 || p >= count->second) continue;
      if (claimed.insert({topic, p}).second) out.push_back({topic, p});
    }
  }
  return out;
}

// Every member subscribes to the same topics: quotas of floor(P/N), the
// remainder going first to members that already hold more than the floor.
void uniform_homogeneous(const AssignorInput& in, const std::vector<const AssignorMember*>& ms,
                         AssignorOutput& out) {
  std::vector<TP> all;
  for (const auto& t : ms.front()->topics) {
    auto c = in.partitions.find(t);
    if (c == in.partitions.end()) continue;
    for (int32_t p = 0; p < c->second; ++p) all.push_back({t, p});
  }
  const size_t n = ms.size();
  const size_t base = all.size() / n;
  size_t extra = all.size() % n;
  std::set<TP> claimed;
  std::vector<std::vector<TP>> kept(n);
  for (size_t i = 0; i < n; ++i) kept[i] = retained(in, *ms[i], claimed);
  std::vector<size_t> quota(n, base);
  for (size_t i = 0; i < n && extra > 0; ++i) {
    if (kept[i].size() > base) quota[i] = base + 1, --extra;
  }
  for (size_t i = 0; i < n && extra > 0; ++i) {
    if (quota[i] == base) quota[i] = base + 1, --extra;
  }
  std::set<TP> owned;
  for (size_t i = 0; i < n; ++i) {
    if (kept[i].size() > quota[i]) kept[i].resize(quota[i]);
    for (const auto& tp : kept[i]) owned.insert(tp);
  }
  auto next_free = all.begin();
  for (size_t i = 0; i < n; ++i) {
    while (kept[i].size() < quota[i]) {
      while (owned.contains(*next_free)) ++next_free;
      assert(next_free != all.end());
      kept[i].push_back(*next_free);
      owned.insert(*next_free);
    }
    for (const auto& [t, p] : kept[i]) out[ms[i]->member_id][t].insert(p);
  }
}

// Members subscribe to different topics: keep what is still valid, give
// each free partition to the least loaded member subscribed to it, then
// move partitions from members to less loaded ones (by two or more) that
// subscribe to them.
void uniform_general(const AssignorInput& in, const std::vector<const AssignorMember*>& ms,
                     AssignorOutput& out) {
  const size_t n = ms.size();
  std::map<TP, size_t> owner;
  std::vector<size_t> count(n, 0);
  std::set<TP> claimed;
  for (size_t i = 0; i < n; ++i) {
    for (const auto& tp : retained(in, *ms[i], claimed)) owner[tp] = i, ++count[i];
  }
  for (const auto& [topic, partitions] : in.partitions) {
    std::vector<size_t> eligible;
    for (size_t i = 0; i < n; ++i) {
      if (ms[i]->topics.contains(topic)) eligible.push_back(i);
    }
    if (eligible.empty()) continue;
    for (int32_t p = 0; p < partitions; ++p) {
      if (owner.contains({topic, p})) continue;
      size_t best = eligible.front();
      for (size_t i : eligible) {
        if (count[i] < count[best]) best = i;
      }
      owner[{topic, p}] = best;
      ++count[best];
    }
  }
  for (size_t moves = 0; moves < kMaxBalanceMoves; ++moves) {
    // The move from the most loaded owner to the least loaded candidate.
    const TP* tp_best = nullptr;
    size_t to_best = 0;
    size_t gain_best = 1;
    for (const auto& [tp, from] : owner) {
      for (size_t to = 0; to < n; ++to) {
        if (count[to] + 1 >= count[from] || !ms[to]->topics.contains(tp.first)) continue;
        size_t gain = count[from] - count[to];
        if (gain > gain_best) gain_best = gain, tp_best = &tp, to_best = to;
      }
    }
    if (!tp_best) break;
    --count[owner[*tp_best]];
    ++count[to_best];
    owner[*tp_best] = to_best;
  }
  for (const auto& [tp, i] : owner) out[ms[i]->member_id][tp.first].insert(tp.second);
}

}  // namespace

size_t partition_count(const PartitionSet& s) {
  size_t n = 0;
  for (const auto& [t, ps] : s) n += ps.size();
  return n;
}

AssignorOutput assign_uniform(const AssignorInput& in) {
  AssignorOutput out;
  for (const auto& m : in.members) out[m.member_id];
  if (in.members.empty()) return out;
  auto ms = by_id(in);
  bool homogeneous = std::all_of(ms.begin(), ms.end(), [&](auto* m) { return m->topics == ms.front()->topics; });
  if (homogeneous) {
    uniform_homogeneous(in, ms, out);
  } else {
    uniform_general(in, ms, out);
  }
  return out;
}

AssignorOutput assign_range(const AssignorInput& in) {
  AssignorOutput out;
  for (const auto& m : in.members) out[m.member_id];
  auto ms = by_id(in);
  for (const auto& [topic, partitions] : in.partitions) {
    std::vector<const AssignorMember*> subs;
    for (auto* m : ms) {
      if (m->topics.contains(topic)) subs.push_back(m);
    }
    if (subs.empty()) continue;
    const int32_t n = int32_t(subs.size());
    const int32_t per = partitions / n, extra = partitions % n;
    int32_t start = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t len = per + (i < extra ? 1 : 0);
      for (int32_t p = start; p < start + len; ++p) out[subs[size_t(i)]->member_id][topic].insert(p);
      start += len;
    }
  }
  return out;
}

std::optional<std::string> assignor_name(std::string_view configured) {
  auto dot = configured.rfind('.');
  std::string_view simple = dot == std::string_view::npos ? configured : configured.substr(dot + 1);
  if (simple == "uniform" || simple == "UniformAssignor") return "uniform";
  if (simple == "range" || simple == "RangeAssignor") return "range";
  return std::nullopt;
}

AssignorOutput run_assignor(std::string_view name, const AssignorInput& in) {
  assert(name == "uniform" || name == "range");
  return name == "range" ? assign_range(in) : assign_uniform(in);
}

}  // namespace moldau::coordinator
