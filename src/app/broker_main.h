// `moldau broker`: loads the configuration, opens storage and metadata, wires
// the Kafka layer to the network, and runs until SIGTERM/SIGINT.
#pragma once

#include <string>
#include <vector>

namespace moldau::app {

// Returns the process exit code. `overrides` are "key=value" strings.
int run_broker(const std::string& config_path, const std::vector<std::string>& overrides,
               const std::string& log_level);

}  // namespace moldau::app
