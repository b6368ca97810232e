// The one binary: broker, controller and command-line tools.
#include <CLI/CLI.hpp>

#include <csignal>

#include <cstdio>
#include <string>
#include <vector>

#include "app/broker_main.h"
#if __has_include("cli/commands.h")
#include "cli/commands.h"
#define MOLDAU_HAVE_CLI 1
#endif

#ifndef MOLDAU_VERSION
#define MOLDAU_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  // A peer that closes while we write must cost only its connection: writes
  // return EPIPE instead of the process dying of SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"Moldau: a Kafka-compatible distributed commit log"};
  app.require_subcommand(1);

  std::string config_path;
  std::vector<std::string> overrides;
  std::string log_level = "info";
  int exit_code = 0;
  auto* broker = app.add_subcommand("broker", "Run a broker (reads a Kafka-style server.properties)");
  broker->add_option("--config,-c", config_path, "server.properties file")->check(CLI::ExistingFile);
  broker->add_option("--log-level", log_level, "trace, debug, info, warn or error")->capture_default_str();
  broker->add_option("overrides", overrides, "key=value settings that override the file");
  broker->callback([&] { exit_code = moldau::app::run_broker(config_path, overrides, log_level); });

  app.add_subcommand("version", "Print the version")->callback([] {
    std::printf("moldau %s\n", MOLDAU_VERSION);
  });

#ifdef MOLDAU_HAVE_CLI
  moldau::cli::register_commands(app);
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
