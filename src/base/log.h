// Logging: one line per event, via spdlog. Use MOLDAU_LOG_INFO("...", args) etc.
#pragma once
#include <spdlog/spdlog.h>

#include <string_view>

namespace moldau {
// Sets the process-wide log level from Kafka-style names ("INFO", "DEBUG", ...)
// and a line pattern with a timestamp and level.
void init_logging(std::string_view level);
}  // namespace moldau

#define MOLDAU_LOG_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define MOLDAU_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define MOLDAU_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define MOLDAU_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define MOLDAU_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
