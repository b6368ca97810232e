// How commands talk to the person running them: results on stdout, problems
// on stderr as "error: ..." / "warning: ...".
#pragma once

#include <memory>
#include <string_view>

#include "base/error.h"
#include "cli/client.h"
#include "cli/options.h"

namespace moldau::cli {

void print_error(std::string_view message);
void print_warning(std::string_view message);
// Writes all of `text` to stdout.
void print_out(std::string_view text);

// Prints the error and returns its exit code (explain.h, exit_code_for).
int fail(const Error& error);
// Prints a usage problem found before any broker was asked; returns kUsage.
int usage_error(std::string_view message);

// Connects with the command's common options, printing the error on failure.
Result<std::unique_ptr<Client>> connect(const CommonOptions& common, bool interruptible = false);

}  // namespace moldau::cli
