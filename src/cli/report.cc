#include "cli/report.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/explain.h"

namespace moldau::cli {

void print_error(std::string_view message) {
  std::fflush(stdout);
  fmt::print(stderr, "error: {}\n", message);
}

void print_warning(std::string_view message) {
  std::fflush(stdout);
  fmt::print(stderr, "warning: {}\n", message);
}

void print_out(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

int fail(const Error& error) {
  print_error(error.message);
  return exit_code_for(error);
}

int usage_error(std::string_view message) {
  print_error(message);
  return exit_code::kUsage;
}

Result<std::unique_ptr<Client>> connect(const CommonOptions& common, bool interruptible) {
  auto options = common.client_options();
  options.connection.interruptible = interruptible;
  return Client::connect(options);
}

}  // namespace moldau::cli
