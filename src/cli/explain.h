// Kafka error codes in words a person can act on: the code's name, what it
// means for what the user asked, and what to try (docs/cli.md, "Errors").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace moldau::cli {

// What the user was doing: the same code calls for different advice.
enum class Operation {
  kOther,
  kCreateTopic,
  kDeleteTopic,
  kDescribeTopic,
  kAlterTopic,
  kAddPartitions,
  kProduce,
  kConsume,
};

struct ErrorContext {
  Operation op = Operation::kOther;
  std::string topic;
  std::optional<int32_t> partition;
  // The broker's own error_message, when the response has one.
  std::string broker_message;
};

// "NAME: what happened (what to do)", e.g.
// "TOPIC_ALREADY_EXISTS: topic 'x' already exists (use --if-not-exists to ignore)".
// The broker's message is added when it says more than the name.
std::string explain(ErrorCode code, const ErrorContext& context);

// Appended to "cannot connect to HOST:PORT: ...".
std::string_view unreachable_hint();

// Exit codes of every command (docs/cli.md, "Exit codes").
namespace exit_code {
constexpr int kOk = 0;
constexpr int kFailed = 1;        // the broker refused or the operation failed
constexpr int kUsage = 2;         // bad arguments, found before talking to a broker
constexpr int kUnreachable = 3;   // no broker could be reached, or it stopped answering
constexpr int kInterrupted = 130; // Ctrl-C (produce: after sending what was read)
}  // namespace exit_code

// kUnreachable for network errors and timeouts, kFailed otherwise.
int exit_code_for(const Error& error);

}  // namespace moldau::cli
