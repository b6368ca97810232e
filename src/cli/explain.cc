#include "cli/explain.h"

#include <fmt/format.h>

#include <cctype>

namespace moldau::cli {

namespace {

std::string where(const ErrorContext& c) {
  if (c.partition) return fmt::format("partition {} of topic '{}'", *c.partition, c.topic);
  return fmt::format("topic '{}'", c.topic);
}

// "NOT_ENOUGH_REPLICAS" -> "not enough replicas"
std::string words(std::string_view name) {
  std::string s;
  for (char ch : name) s += ch == '_' ? ' ' : char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Lower case without trailing dots or spaces, to see whether the broker's
// message repeats ours.
std::string normalized(std::string_view s) {
  while (!s.empty() && (s.back() == '.' || s.back() == ' ')) s.remove_suffix(1);
  std::string out;
  for (char ch : s) out += char(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Kafka fills error_message with an error's generic description when there
// is nothing specific to say; those add nothing to our own words.
bool is_generic(std::string_view said_norm) {
  static constexpr std::string_view kGeneric[] = {
      "this server does not host this topic-partition",
      "the server experienced an unexpected error when processing the request",
      "the request timed out",
  };
  for (auto g : kGeneric)
    if (said_norm == g) return true;
  return false;
}

// What the code means here, and what to do; empty when there is nothing
// better to say than the broker's message or the name itself.
std::string advice(ErrorCode code, const ErrorContext& c) {
  switch (code) {
    case ErrorCode::kTopicAlreadyExists:
      return fmt::format("topic '{}' already exists (use --if-not-exists to ignore)", c.topic);
    case ErrorCode::kUnknownTopicOrPartition:
      if (c.op == Operation::kDeleteTopic)
        return fmt::format("topic '{}' does not exist (use --if-exists to ignore)", c.topic);
      if (c.partition)
        return fmt::format("{} does not exist (see `moldau topic describe {}`)", where(c), c.topic);
      if (c.op == Operation::kProduce)
        return fmt::format("topic '{}' does not exist; create it with `moldau topic create {}` "
                           "(or enable auto.create.topics.enable on the broker)",
                           c.topic, c.topic);
      return fmt::format("topic '{}' does not exist (see `moldau topic list`)", c.topic);
    case ErrorCode::kUnknownTopicId:
      return fmt::format("topic '{}' was deleted or recreated", c.topic);
    case ErrorCode::kInvalidTopicException:
      return fmt::format("'{}' is not a valid topic name: use letters, digits, '.', '_' and '-', "
                         "at most 249 characters, not '.' or '..'",
                         c.topic);
    case ErrorCode::kInvalidPartitions:
      if (c.op == Operation::kAddPartitions)
        return "the new partition count must be larger than the current one (--partitions is "
               "the new total)";
      return "the partition count must be at least 1";
    case ErrorCode::kInvalidReplicationFactor:
      return "the replication factor must be at least 1 and at most the number of brokers";
    case ErrorCode::kInvalidReplicaAssignment:
      return "the replica assignment names brokers that do not exist";
    case ErrorCode::kInvalidConfig:
      return "the broker refused a config (see `moldau topic describe` for the current ones)";
    case ErrorCode::kPolicyViolation:
      return "the broker's policy refused the request";
    case ErrorCode::kTopicDeletionDisabled:
      return "topic deletion is disabled on the broker (delete.topic.enable=false)";
    case ErrorCode::kInvalidRequest:
      return "the broker found the request invalid";
    case ErrorCode::kNotController:
      return "the broker is not the controller; try again";
    case ErrorCode::kLeaderNotAvailable:
    case ErrorCode::kNotLeaderOrFollower:
    case ErrorCode::kFencedLeaderEpoch:
    case ErrorCode::kUnknownLeaderEpoch:
      return fmt::format("{} has no usable leader right now; try again in a moment", where(c));
    case ErrorCode::kRequestTimedOut:
      return "the broker did not finish in time (try a larger --request-timeout-ms)";
    case ErrorCode::kNotEnoughReplicas:
    case ErrorCode::kNotEnoughReplicasAfterAppend:
      return fmt::format("{} has fewer in-sync replicas than min.insync.replicas, so acks=all "
                         "cannot be met (try --acks 1, or bring the replicas back)",
                         where(c));
    case ErrorCode::kMessageTooLarge:
      return "a batch is larger than the topic's max.message.bytes (use a smaller --batch-size, "
             "compression, or raise max.message.bytes)";
    case ErrorCode::kRecordListTooLarge:
      return "the request is larger than the broker accepts (use a smaller --batch-size)";
    case ErrorCode::kCorruptMessage:
      return "the broker found a corrupt record batch";
    case ErrorCode::kInvalidRecord:
      return "the broker refused a record";
    case ErrorCode::kInvalidTimestamp:
      return "a record timestamp is outside what the topic's message.timestamp.* configs allow";
    case ErrorCode::kUnsupportedCompressionType:
      return "the broker does not accept this --compression codec";
    case ErrorCode::kInvalidRequiredAcks:
      return "the broker does not accept this --acks value";
    case ErrorCode::kOffsetOutOfRange:
      return fmt::format("the offset is outside the records {} holds", where(c));
    case ErrorCode::kTopicAuthorizationFailed:
      return fmt::format("not allowed to access topic '{}'", c.topic);
    case ErrorCode::kClusterAuthorizationFailed:
      return "not allowed to change the cluster";
    case ErrorCode::kUnsupportedVersion:
      return "the broker does not support this request";
    case ErrorCode::kKafkaStorageError:
      return fmt::format("the broker cannot read or write {} on its disk (its log says why)",
                         where(c));
    case ErrorCode::kThrottlingQuotaExceeded:
      return "the broker's quota was exceeded; try again later";
    case ErrorCode::kUnknownServerError:
      return "the broker failed unexpectedly (its log says why)";
    case ErrorCode::kBrokerNotAvailable:
      return "the broker is not available";
    case ErrorCode::kResourceNotFound:
      return fmt::format("topic '{}' does not exist", c.topic);
    default:
      return {};
  }
}

}  // namespace

std::string explain(ErrorCode code, const ErrorContext& context) {
  std::string_view name = error_name(code);
  std::string text = advice(code, context);
  const std::string& said = context.broker_message;
  // Kafka often fills error_message with the exception's default text, which
  // repeats the code; only add it when it says something new.
  std::string said_norm = normalized(said);
  if (is_generic(said_norm)) said_norm.clear();
  bool says_more = !said_norm.empty() && said_norm != words(name) &&
                   said.find(name) == std::string::npos &&
                   normalized(text).find(said_norm) == std::string::npos;
  if (text.empty()) return says_more ? fmt::format("{}: {}", name, said)
                                     : fmt::format("{}: {}", name, words(name));
  if (says_more) return fmt::format("{}: {} (the broker says: {})", name, text, said);
  return fmt::format("{}: {}", name, text);
}

std::string_view unreachable_hint() {
  return "Is a broker running there? Start one with `make run`, or pass "
         "--bootstrap-server HOST:PORT.";
}

int exit_code_for(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNetworkException:
    case ErrorCode::kRequestTimedOut:
      return exit_code::kUnreachable;
    default:
      return exit_code::kFailed;
  }
}

}  // namespace moldau::cli
