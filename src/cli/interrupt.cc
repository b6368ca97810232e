#include "cli/interrupt.h"

#include <signal.h>

#include <csignal>

namespace moldau::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_sigint(int) {
  g_interrupted = 1;
  // A second Ctrl-C terminates the process the usual way.
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: read(2) on stdin returns EINTR
  sigaction(SIGINT, &sa, nullptr);
}

bool interrupted() { return g_interrupted != 0; }

void set_interrupted_for_test(bool value) { g_interrupted = value ? 1 : 0; }

}  // namespace moldau::cli
