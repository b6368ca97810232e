// Start-up of the metadata layer in one call, for the broker's wiring:
// meta.properties in every log directory, the metadata log, the controller
// with the log replayed into its image, and this broker registered.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "metadata/broker_config.h"
#include "metadata/controller.h"
#include "metadata/quorum.h"

namespace moldau::metadata {

struct MetadataNode {
  std::string cluster_id;
  std::unique_ptr<MetadataQuorum> quorum;
  std::unique_ptr<Controller> controller;  // refers to *quorum and the BrokerConfig
};

// `config` must outlive the returned node. Refuses to start (with the reason)
// when a log directory belongs to another cluster or node, the metadata log
// is damaged, or the registration cannot be written.
Result<MetadataNode> start_metadata(const BrokerConfig& config, Controller::Options options = {});

}  // namespace moldau::metadata
