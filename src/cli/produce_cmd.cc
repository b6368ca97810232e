#include "cli/commands.h"
#include "cli/report.h"
namespace moldau::cli {
int run_produce(const ProduceOptions&) { return usage_error("produce: not yet"); }
}  // namespace moldau::cli
