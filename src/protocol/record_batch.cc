#include "protocol/record_batch.h"
