#include "metadata/meta_properties.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "base/log.h"
#include "base/properties.h"
#include "metadata/topic_id.h"

namespace moldau::metadata {
namespace {

namespace fs = std::filesystem;

Error invalid(const std::string& path, std::string what) {
  return Error{ErrorCode::kInvalidConfig, fmt::format("{}: {}", path, std::move(what))};
}

Error io_error(const std::string& what, const std::string& path) {
  return Error{ErrorCode::kKafkaStorageError,
               fmt::format("{} {}: {}", what, path, std::strerror(errno))};
}

Status write_all(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("cannot write", path);
    done += size_t(n);
  }
  return {};
}

}  // namespace

bool is_valid_cluster_id(std::string_view id) { return TopicId::parse(id).has_value(); }

Result<std::optional<MetaProperties>> read_meta_properties(const std::string& log_dir) {
  std::string path = (fs::path(log_dir) / kMetaPropertiesFile).string();
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<MetaProperties>();
  auto entries = read_properties_file(path);
  if (!entries) return entries.error();
  std::map<std::string, std::string> kv;
  for (auto& e : entries.value()) kv[e.key] = e.value;
  MetaProperties m;
  auto version = kv.find("version");
  if (version == kv.end()) return invalid(path, "missing key version");
  if (version->second == "0") {
    return invalid(path, "version=0 is the ZooKeeper-era format; this directory belongs to a "
                         "ZooKeeper-based Kafka cluster and cannot be used");
  }
  if (version->second != "1") {
    return invalid(path, fmt::format("version={} is not supported (expected 1)", version->second));
  }
  auto cluster = kv.find("cluster.id");
  if (cluster == kv.end() || cluster->second.empty()) return invalid(path, "missing key cluster.id");
  m.cluster_id = cluster->second;
  auto node = kv.find("node.id");
  if (node == kv.end()) return invalid(path, "missing key node.id");
  const std::string& n = node->second;
  auto [p, err] = std::from_chars(n.data(), n.data() + n.size(), m.node_id);
  if (err != std::errc() || p != n.data() + n.size() || m.node_id < 0) {
    return invalid(path, fmt::format("node.id={} is not a non-negative integer", n));
  }
  if (auto dir = kv.find("directory.id"); dir != kv.end()) m.directory_id = dir->second;
  return std::optional<MetaProperties>(m);
}

Status write_meta_properties(const std::string& log_dir, const MetaProperties& m) {
  std::string path = (fs::path(log_dir) / kMetaPropertiesFile).string();
  std::string tmp = path + ".tmp";
  std::string text = "#\n# Written by Moldau. Identifies the cluster and node this directory belongs to.\n";
  text += "cluster.id=" + escape_property(m.cluster_id, false) + "\n";
  if (!m.directory_id.empty()) text += "directory.id=" + escape_property(m.directory_id, false) + "\n";
  text += fmt::format("node.id={}\nversion={}\n", m.node_id, m.version);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", tmp);
  Status s = write_all(fd, text, tmp);
  if (s && ::fsync(fd) != 0) s = io_error("cannot fsync", tmp);
  ::close(fd);
  if (!s) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("cannot rename to", path);
  int dfd = ::open(log_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return io_error("cannot open directory", log_dir);
  int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return io_error("cannot fsync directory", log_dir);
  return {};
}

Result<std::string> ensure_meta_properties(const std::vector<std::string>& log_dirs, int32_t node_id,
                                           const std::optional<std::string>& configured_cluster_id) {
  if (configured_cluster_id && !is_valid_cluster_id(*configured_cluster_id)) {
    return Error{ErrorCode::kInvalidConfig,
                 fmt::format("Invalid value {} for configuration cluster.id: a cluster id is 22 "
                             "characters of URL-safe base64 (16 bytes), e.g. {}",
                             *configured_cluster_id, TopicId::random().to_string())};
  }
  std::optional<std::string> cluster_id = configured_cluster_id;
  std::string cluster_source = "the cluster.id configuration";
  std::set<std::string> directory_ids;
  std::vector<std::string> unformatted;
  for (const std::string& dir : log_dirs) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return Error{ErrorCode::kKafkaStorageError,
                   fmt::format("cannot create log directory {}: {}", dir, ec.message())};
    }
    auto read = read_meta_properties(dir);
    if (!read) return read.error();
    if (!read.value()) {
      unformatted.push_back(dir);
      continue;
    }
    const MetaProperties& m = *read.value();
    std::string path = (fs::path(dir) / kMetaPropertiesFile).string();
    if (m.node_id != node_id) {
      return Error{ErrorCode::kInvalidConfig,
                   fmt::format("{} says node.id={}, but this broker is configured with node.id={}; "
                               "the directory belongs to another node",
                               path, m.node_id, node_id)};
    }
    if (cluster_id && *cluster_id != m.cluster_id) {
      return Error{ErrorCode::kInconsistentClusterId,
                   fmt::format("{} says cluster.id={}, but {} says {}; the directories belong to "
                               "different clusters",
                               path, m.cluster_id, cluster_source, *cluster_id)};
    }
    cluster_id = m.cluster_id;
    cluster_source = path;
    if (!m.directory_id.empty() && !directory_ids.insert(m.directory_id).second) {
      return Error{ErrorCode::kInvalidConfig,
                   fmt::format("{} has directory.id={}, which another log directory also has; "
                               "was a directory copied?",
                               path, m.directory_id)};
    }
  }
  if (!cluster_id) {
    cluster_id = TopicId::random().to_string();
    MOLDAU_LOG_INFO("formatting new cluster {} (no meta.properties found)", *cluster_id);
  }
  for (const std::string& dir : unformatted) {
    MetaProperties m;
    m.cluster_id = *cluster_id;
    m.node_id = node_id;
    do {
      m.directory_id = TopicId::random().to_string();
    } while (!directory_ids.insert(m.directory_id).second);
    if (auto s = write_meta_properties(dir, m); !s) return s.error();
    MOLDAU_LOG_INFO("formatted log directory {} (cluster.id={}, node.id={}, directory.id={})", dir,
                    m.cluster_id, m.node_id, m.directory_id);
  }
  return *cluster_id;
}

}  // namespace moldau::metadata
