#include "cli/commands.h"
#include "cli/report.h"
namespace moldau::cli {
int run_consume(const ConsumeOptions&) { return usage_error("consume: not yet"); }
}  // namespace moldau::cli
