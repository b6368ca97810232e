// meta.properties: the identity file Kafka keeps in every log directory.
//
// KRaft format (version=1): cluster.id, node.id, directory.id. A directory
// without one is formatted on first start; a directory whose cluster.id or
// node.id disagrees with this node is refused, because it holds another
// cluster's or another node's data.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace moldau::metadata {

inline constexpr const char* kMetaPropertiesFile = "meta.properties";

struct MetaProperties {
  int version = 1;
  std::string cluster_id;    // 22-character base64 Uuid
  int32_t node_id = -1;
  std::string directory_id;  // 22-character base64 Uuid, unique per directory
  friend bool operator==(const MetaProperties&, const MetaProperties&) = default;
};

// nullopt when the directory has no meta.properties; INVALID_CONFIG when the
// file is malformed (naming the file and the key), KAFKA_STORAGE_ERROR when
// it cannot be read.
Result<std::optional<MetaProperties>> read_meta_properties(const std::string& log_dir);

// Writes atomically (temporary file, fsync, rename, fsync of the directory).
Status write_meta_properties(const std::string& log_dir, const MetaProperties& props);

// Start-up check of every log directory (the metadata directory included):
// creates missing directories, reads each meta.properties, and
//  - refuses (INCONSISTENT_CLUSTER_ID) when two directories, or a directory
//    and `configured_cluster_id`, name different clusters;
//  - refuses (INVALID_CONFIG) when a directory belongs to another node id or
//    two directories share a directory.id;
//  - formats directories without meta.properties with the cluster id found
//    (or configured, or freshly generated) and a new directory id.
// Returns the cluster id.
Result<std::string> ensure_meta_properties(const std::vector<std::string>& log_dirs, int32_t node_id,
                                           const std::optional<std::string>& configured_cluster_id);

// True for a 22-character URL-safe base64 Uuid, the form Kafka requires.
bool is_valid_cluster_id(std::string_view id);

}  // namespace moldau::metadata
