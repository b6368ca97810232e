#include "storage/topic_partition.h"

#include <charconv>

namespace moldau::storage {

std::string TopicPartition::dir_name() const { return topic + "-" + std::to_string(partition); }

std::optional<TopicPartition> TopicPartition::parse_dir_name(std::string_view name) {
  size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  std::string_view digits = name.substr(dash + 1);
  int32_t partition = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), partition);
  if (ec != std::errc() || end != digits.data() + digits.size() || partition < 0) {
    return std::nullopt;
  }
  // Kafka topic names are [a-zA-Z0-9._-]; a '.' before the dash would be a
  // legal topic, so only reject what cannot be a topic name.
  std::string_view topic = name.substr(0, dash);
  for (char c : topic) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return std::nullopt;
  }
  return TopicPartition{std::string(topic), partition};
}

}  // namespace moldau::storage
