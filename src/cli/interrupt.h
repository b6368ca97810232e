// Ctrl-C for the commands that run until stopped (consume) or read a stream
// (produce). The first SIGINT sets a flag that the client's wait loops and the
// input reader check; the second one gets the default action, so a command
// that is stuck somewhere can still be killed from the keyboard.
#pragma once

namespace moldau::cli {

// Installs the SIGINT handler (idempotent). Without SA_RESTART, so a blocking
// read of stdin returns EINTR instead of waiting for the next line.
void install_interrupt_handler();
// True once SIGINT has arrived since install_interrupt_handler().
bool interrupted();
// For tests: sets or clears the flag as if SIGINT had (not) arrived.
void set_interrupted_for_test(bool value);

}  // namespace moldau::cli
