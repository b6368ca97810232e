// `moldau txn list|describe` (docs/cli.md, "txn"): ListTransactions to every
// broker, DescribeTransactions to the transactional id's coordinator
// (FindCoordinator key type 1). What is shown is pure (tested without a
// broker).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/options.h"
#include "cli/output.h"

namespace CLI {
class App;
}

namespace moldau::cli {

struct TxnListOptions {
  CommonOptions common;
  std::vector<std::string> states;  // empty: every state
};

struct TxnDescribeOptions {
  CommonOptions common;
  std::vector<std::string> ids;
};

void register_txn_commands(CLI::App& app);
int run_txn_list(const TxnListOptions& o);
int run_txn_describe(const TxnDescribeOptions& o);

// ---- pure parts -------------------------------------------------------------

struct TxnListing {
  std::string transactional_id;
  int64_t producer_id = -1;
  std::string state;
  int32_t coordinator = -1;
};
std::string render_txn_list(const std::vector<TxnListing>& txns);
Json txn_list_json(const std::vector<TxnListing>& txns);

struct TxnTopicPartitions {
  std::string topic;
  std::vector<int32_t> partitions;
};

struct TxnDescription {
  std::string transactional_id;
  int32_t coordinator = -1;
  std::string state;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t timeout_ms = 0;
  int64_t start_ms = -1;  // -1: no transaction running
  std::vector<TxnTopicPartitions> topics;
};
// now_ms: for the running time of an ongoing transaction.
std::string render_txn_describe(const TxnDescription& d, int64_t now_ms);
Json txn_describe_json(const TxnDescription& d);

}  // namespace moldau::cli
