// `moldau txn ...` (docs/cli.md, "txn").
#include "cli/txn_cmd.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/explain.h"
#include "cli/report.h"
#include "protocol/msg/describe_transactions_request.h"
#include "protocol/msg/describe_transactions_response.h"
#include "protocol/msg/find_coordinator_request.h"
#include "protocol/msg/find_coordinator_response.h"
#include "protocol/msg/list_transactions_request.h"
#include "protocol/msg/list_transactions_response.h"

namespace moldau::cli {

namespace {

constexpr int8_t kTransactionKeyType = 1;
constexpr int kCoordinatorAttempts = 30;
constexpr auto kCoordinatorBackoff = std::chrono::milliseconds(300);

const std::vector<std::string>& txn_states() {
  static const std::vector<std::string> s = {"Empty",          "Ongoing",       "PrepareCommit",
                                             "PrepareAbort",   "CompleteCommit", "CompleteAbort",
                                             "Dead",           "PrepareEpochFence"};
  return s;
}

std::string explain_txn(ErrorCode code, const std::string& id) {
  switch (code) {
    case ErrorCode::kTransactionalIdNotFound:
      return fmt::format("{}: transactional id '{}' is not known (see `moldau txn list`)",
                         error_name(code), id);
    case ErrorCode::kCoordinatorNotAvailable:
    case ErrorCode::kCoordinatorLoadInProgress:
    case ErrorCode::kNotCoordinator:
      return fmt::format("{}: the coordinator of transactional id '{}' is not available; try again "
                         "in a moment",
                         error_name(code), id);
    default:
      return explain(code, {Operation::kOther, {}, {}, {}});
  }
}

bool retriable(ErrorCode code) {
  return code == ErrorCode::kCoordinatorNotAvailable ||
         code == ErrorCode::kCoordinatorLoadInProgress || code == ErrorCode::kNotCoordinator;
}

// The node id of the coordinator of `id`.
Result<int32_t> coordinator_of(Client& client, const std::string& id) {
  for (int attempt = 1;; ++attempt) {
    auto conn = client.any();
    if (!conn) return conn.error();
    protocol::FindCoordinatorRequest req;
    req.key = id;
    req.key_type = kTransactionKeyType;
    req.coordinator_keys = {id};
    auto reply = call<protocol::FindCoordinatorResponse>(**conn, req, 1);
    if (!reply) return reply.error();
    const auto& m = reply->msg;
    ErrorCode code = ErrorCode(m.error_code);
    int32_t node = m.node_id;
    if (reply->version >= 4) {
      if (m.coordinators.size() != 1)
        return Error{ErrorCode::kInvalidRequest, "the broker answered FindCoordinator for other keys"};
      code = ErrorCode(m.coordinators[0].error_code);
      node = m.coordinators[0].node_id;
    }
    if (code == ErrorCode::kNone) return node;
    if (!retriable(code) || attempt >= kCoordinatorAttempts) return Error{code, explain_txn(code, id)};
    std::this_thread::sleep_for(kCoordinatorBackoff);
  }
}

Result<TxnDescription> describe_one(Client& client, const std::string& id) {
  for (int attempt = 1;; ++attempt) {
    auto node = coordinator_of(client, id);
    if (!node) return node.error();
    if (!client.last_metadata().broker(*node)) {
      auto md = client.metadata(std::vector<std::string>{});
      if (!md) return md.error();
    }
    auto conn = client.node(*node);
    if (!conn) return conn.error();
    protocol::DescribeTransactionsRequest req;
    req.transactional_ids = {id};
    auto reply = call<protocol::DescribeTransactionsResponse>(**conn, req);
    if (!reply) return reply.error();
    if (reply->msg.transaction_states.size() != 1)
      return Error{ErrorCode::kInvalidRequest, "the broker answered DescribeTransactions for other ids"};
    const auto& s = reply->msg.transaction_states[0];
    ErrorCode code = ErrorCode(s.error_code);
    if (code != ErrorCode::kNone) {
      if (retriable(code) && attempt < kCoordinatorAttempts) {
        std::this_thread::sleep_for(kCoordinatorBackoff);
        continue;
      }
      return Error{code, explain_txn(code, id)};
    }
    TxnDescription d;
    d.transactional_id = id;
    d.coordinator = *node;
    d.state = s.transaction_state;
    d.producer_id = s.producer_id;
    d.producer_epoch = s.producer_epoch;
    d.timeout_ms = s.transaction_timeout_ms;
    d.start_ms = s.transaction_start_time_ms;
    for (const auto& t : s.topics) {
      d.topics.push_back({t.topic, std::vector<int32_t>(t.partitions.begin(), t.partitions.end())});
    }
    return d;
  }
}

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <typename Options, typename Run>
void command(CLI::App* cmd, std::shared_ptr<Options> options, Run run) {
  cmd->callback([options, run] {
    int code = run(*options);
    if (code != exit_code::kOk) throw CLI::RuntimeError(code);
  });
}

}  // namespace

// ---- pure parts -------------------------------------------------------------

std::string render_txn_list(const std::vector<TxnListing>& txns) {
  if (txns.empty()) return "No transactional ids.\n";
  Table t({"TRANSACTIONAL ID", "PRODUCER ID", "STATE", "COORDINATOR"});
  for (const auto& x : txns)
    t.add_row({x.transactional_id, std::to_string(x.producer_id), x.state, std::to_string(x.coordinator)});
  return t.render();
}

Json txn_list_json(const std::vector<TxnListing>& txns) {
  Json out = Json::array();
  for (const auto& x : txns) {
    Json j = Json::object();
    j.set("transactional_id", x.transactional_id);
    j.set("producer_id", x.producer_id);
    j.set("state", x.state);
    j.set("coordinator", x.coordinator);
    out.push(std::move(j));
  }
  return out;
}

std::string render_txn_describe(const TxnDescription& d, int64_t now_ms) {
  std::string out = fmt::format("Transactional id: {}\n", d.transactional_id);
  out += fmt::format("State:            {}\n", d.state);
  out += fmt::format("Producer:         id {}, epoch {}\n", d.producer_id, d.producer_epoch);
  out += fmt::format("Timeout:          {} ms\n", d.timeout_ms);
  out += fmt::format("Coordinator:      broker {}\n", d.coordinator);
  if (d.start_ms >= 0) {
    out += fmt::format("Running for:      {} ms\n", std::max<int64_t>(0, now_ms - d.start_ms));
  }
  if (d.topics.empty()) {
    out += "Partitions:       none\n";
  } else {
    Table t({"TOPIC", "PARTITIONS"});
    for (const auto& tp : d.topics) t.add_row({tp.topic, id_ranges(tp.partitions)});
    out += "\n" + t.render();
  }
  return out;
}

Json txn_describe_json(const TxnDescription& d) {
  Json j = Json::object();
  j.set("transactional_id", d.transactional_id);
  j.set("state", d.state);
  j.set("producer_id", d.producer_id);
  j.set("producer_epoch", int64_t(d.producer_epoch));
  j.set("timeout_ms", int64_t(d.timeout_ms));
  j.set("start_time_ms", d.start_ms >= 0 ? Json(d.start_ms) : Json());
  j.set("coordinator", d.coordinator);
  Json topics = Json::array();
  for (const auto& tp : d.topics) {
    Json t = Json::object();
    t.set("topic", tp.topic);
    Json parts = Json::array();
    for (int32_t p : tp.partitions) parts.push(p);
    t.set("partitions", std::move(parts));
    topics.push(std::move(t));
  }
  j.set("partitions", std::move(topics));
  return j;
}

// ---- commands ------------------------------------------------------------------

int run_txn_list(const TxnListOptions& o) {
  for (const auto& s : o.states) {
    if (std::find(txn_states().begin(), txn_states().end(), s) == txn_states().end())
      return usage_error(fmt::format("unknown transaction state '{}': one of {}", s, fmt::join(txn_states(), ", ")));
  }
  auto client = connect(o.common);
  if (!client) return fail(client.error());
  auto md = (*client)->metadata(std::vector<std::string>{});
  if (!md) return fail(md.error());
  std::vector<int32_t> nodes;
  for (const auto& b : (*client)->last_metadata().brokers) nodes.push_back(b.node_id);
  // Each broker lists the transactional ids it coordinates.
  std::map<std::string, TxnListing> found;
  int rc = exit_code::kOk;
  for (int32_t node : nodes) {
    auto conn = (*client)->node(node);
    if (!conn) return fail(conn.error());
    protocol::ListTransactionsRequest req;
    req.state_filters = o.states;
    auto reply = call<protocol::ListTransactionsResponse>(**conn, req);
    if (!reply) return fail(reply.error());
    if (reply->msg.error_code != 0) {
      print_error(fmt::format("broker {}: {}", node, explain_txn(ErrorCode(reply->msg.error_code), "")));
      rc = exit_code::kFailed;
      continue;
    }
    for (const auto& t : reply->msg.transaction_states)
      found[t.transactional_id] = {t.transactional_id, t.producer_id, t.transaction_state, node};
  }
  std::vector<TxnListing> txns;
  for (auto& [id, t] : found) txns.push_back(std::move(t));
  print_out(o.common.output == OutputFormat::kJson ? txn_list_json(txns).dump() + "\n" : render_txn_list(txns));
  return rc;
}

int run_txn_describe(const TxnDescribeOptions& o) {
  auto client = connect(o.common);
  if (!client) return fail(client.error());
  auto md = (*client)->metadata(std::vector<std::string>{});
  if (!md) return fail(md.error());
  Json all = Json::array();
  std::string text;
  int rc = exit_code::kOk;
  for (const auto& id : o.ids) {
    auto d = describe_one(**client, id);
    if (!d) {
      print_error(d.error().message);
      rc = exit_code::kFailed;
      continue;
    }
    all.push(txn_describe_json(*d));
    if (!text.empty()) text += "\n";
    text += render_txn_describe(*d, wall_now_ms());
  }
  print_out(o.common.output == OutputFormat::kJson ? all.dump() + "\n" : text);
  return rc;
}

void register_txn_commands(CLI::App& app) {
  auto* txn = app.add_subcommand("txn", "List and describe transactions (transactional ids)");
  txn->require_subcommand(1);

  auto list = std::make_shared<TxnListOptions>();
  auto* l = txn->add_subcommand("list", "List transactional ids with their producer id and state");
  l->add_option("-s,--state", list->states,
                "Only transactions in this state (repeatable): Empty, Ongoing, PrepareCommit, PrepareAbort, "
                "CompleteCommit, CompleteAbort")
      ->allow_extra_args(false)
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  add_common_options(l, list->common);
  command(l, list, run_txn_list);

  auto describe = std::make_shared<TxnDescribeOptions>();
  auto* d = txn->add_subcommand("describe", "State, producer, timeout and partitions of transactions");
  d->add_option("ids", describe->ids, "Transactional ids")->required();
  add_common_options(d, describe->common);
  command(d, describe, run_txn_describe);
}

}  // namespace moldau::cli
