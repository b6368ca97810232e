// Writes the seed corpus of request_fuzz from the generated sample fillers:
// for every API, version and seed, the fuzzer's 4-byte selector, a request
// header and the request body; and the same with the response body.
//
// Usage: protocol_fuzz_corpus OUT_DIR
#include <cstdio>
#include <filesystem>
#include <string>

#include "base/endian.h"
#include "protocol/msg/api_keys.h"
#include "protocol/msg/samples/samples.h"

namespace {

using namespace moldau;
using namespace moldau::protocol;

std::filesystem::path g_out;
size_t g_written = 0;

bool write_file(const std::string& name, const Bytes& bytes) {
  FILE* f = std::fopen((g_out / name).c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  g_written += ok;
  return ok;
}

// The fuzzer's selector: index into all_apis() and the version offset.
Bytes selector(int16_t key, int16_t version) {
  const auto apis = all_apis();
  uint16_t index = 0;
  while (index < apis.size() && apis[index].key != key) ++index;
  uint8_t b[4];
  store_be16(b, index);
  store_be16(b + 2, uint16_t(version - apis[index].min_version));
  return Bytes(b, b + 4);
}

template <typename T>
bool emit(const char* name, int16_t key) {
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    for (int seed = 0; seed < 2; ++seed) {
      RequestHeader h;
      h.request_api_key = key;
      h.request_api_version = v;
      h.correlation_id = seed + 1;
      h.client_id = "fuzz";
      ByteWriter w;
      h.encode(w, request_header_version(key, v));
      T m;
      fill_sample(m, v, seed);
      m.encode(w, v);
      Bytes out = selector(key, v);
      Bytes rest = w.flatten();
      out.insert(out.end(), rest.begin(), rest.end());
      if (!write_file(std::string(name) + "-v" + std::to_string(v) + "-s" + std::to_string(seed),
                      out)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  g_out = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(g_out, ec);
  bool ok = true;
#define MOLDAU_EMIT_request(Type) ok = emit<Type>(#Type, Type::kApiKey) && ok;
#define MOLDAU_EMIT_response(Type) ok = emit<Type>(#Type, Type::kApiKey) && ok;
#define MOLDAU_EMIT_header(Type)
#define MOLDAU_EMIT_data(Type)
#define MOLDAU_EMIT(Type, kind) MOLDAU_EMIT_##kind(Type)
  MOLDAU_PROTOCOL_MESSAGES(MOLDAU_EMIT)
  if (!ok) {
    std::fprintf(stderr, "could not write the corpus to %s\n", argv[1]);
    return 1;
  }
  std::printf("wrote %zu seed inputs to %s\n", g_written, argv[1]);
  return 0;
}
