// A partition's name, and the directory name Kafka gives it: "<topic>-<partition>".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace moldau::storage {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  bool operator==(const TopicPartition&) const = default;
  // "<topic>-<partition>", the partition's directory under a log dir.
  std::string dir_name() const;
  // The inverse of dir_name(): splits at the last '-'. Rejects anything that
  // is not a plain partition directory (e.g. "x-0.abc-delete", "x-0-future").
  static std::optional<TopicPartition> parse_dir_name(std::string_view name);
};

struct TopicPartitionHash {
  size_t operator()(const TopicPartition& tp) const {
    return std::hash<std::string>{}(tp.topic) * 31 + std::hash<int32_t>{}(tp.partition);
  }
};

}  // namespace moldau::storage

template <>
struct std::hash<moldau::storage::TopicPartition> : moldau::storage::TopicPartitionHash {};
