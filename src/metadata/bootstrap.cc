#include "metadata/bootstrap.h"

#include <fmt/format.h>

#include <algorithm>

#include "metadata/meta_properties.h"
#include "metadata/single_voter_quorum.h"

namespace moldau::metadata {

Result<MetadataNode> start_metadata(const BrokerConfig& config, Controller::Options options) {
  std::vector<std::string> dirs = config.log_dirs;
  if (std::find(dirs.begin(), dirs.end(), config.metadata_log_dir) == dirs.end()) {
    dirs.push_back(config.metadata_log_dir);
  }
  auto cluster_id = ensure_meta_properties(dirs, config.node_id, config.cluster_id);
  if (!cluster_id) return cluster_id.error();
  auto quorum = SingleVoterQuorum::open(config.metadata_log_dir, config.node_id);
  if (!quorum) return quorum.error();
  MetadataNode node;
  node.cluster_id = cluster_id.value();
  node.quorum = std::move(quorum).value();
  node.controller = std::make_unique<Controller>(*node.quorum, config, node.cluster_id, std::move(options));
  if (auto s = node.controller->load(); !s) return s.error();
  // A single voter commits before append returns, so registration is done
  // when register_broker returns.
  std::optional<Status> registered;
  node.controller->register_broker([&](Status s) { registered = std::move(s); });
  if (!registered) return Error{ErrorCode::kUnknownServerError, "broker registration did not complete"};
  if (!*registered) {
    return Error{registered->error().code,
                 fmt::format("cannot register broker {}: {}", config.node_id, registered->error().message)};
  }
  return node;
}

}  // namespace moldau::metadata
