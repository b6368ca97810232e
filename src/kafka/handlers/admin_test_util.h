// Helpers for the admin handler tests.
#pragma once

#include <gtest/gtest.h>

#include "base/bytes.h"

namespace moldau::kafka::admin::testing {

// What a client reads: `m` encoded at `version` and decoded again, so that
// the fields a version lacks come back as their defaults.
template <typename M>
M at_version(const M& m, int16_t version) {
  ByteWriter w;
  m.encode(w, version);
  Bytes bytes = w.flatten();
  ByteReader r(bytes);
  M out;
  EXPECT_TRUE(out.decode(r, version) && r.ok()) << "v" << version;
  EXPECT_EQ(r.remaining(), 0u) << "v" << version;
  return out;
}

}  // namespace moldau::kafka::admin::testing
