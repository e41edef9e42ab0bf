// For the driver tests: read_all, and the S3 engine they use, KILN_TEST_S3_ENDPOINT (e.g.
// http://127.0.0.1:17480), KILN_TEST_S3_BUCKET, KILN_TEST_S3_ACCESS_KEY and
// KILN_TEST_S3_SECRET_KEY, each test under a root directory of its own so runs never see each
// other's keys.
#pragma once

#include <cstdlib>
#include <string>

#include "kiln/os/random.hpp"
#include "kiln/registry/server/driver.hpp"
#include "kiln/registry/server/s3_client.hpp"

namespace kiln::registry::server {

inline std::string test_env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

inline S3Options test_s3_options() {
  S3Options o;
  o.endpoint = test_env("KILN_TEST_S3_ENDPOINT", "");
  o.bucket = test_env("KILN_TEST_S3_BUCKET", "kiln-test");
  o.creds.access_key = test_env("KILN_TEST_S3_ACCESS_KEY", "TESTACCESSKEY0000000");
  o.creds.secret_key =
      test_env("KILN_TEST_S3_SECRET_KEY", "testsecretkey0000000000000000000000000000");
  o.root = "t-" + os::random_hex(8);
  o.chunk_size = 5 << 20;
  o.copy_chunk_size = 5 << 20;
  o.copy_threshold = 6 << 20;
  return o;
}

// A whole value through read_at, as the server reads one (stops at the first error).
inline std::string read_all(const Reader& r) {
  std::string out(static_cast<size_t>(r.size()), '\0');
  size_t got = 0;
  while (got < out.size()) {
    auto n = r.read_at(static_cast<int64_t>(got), std::span(out.data() + got, out.size() - got));
    if (!n || *n == 0) break;
    got += *n;
  }
  out.resize(got);
  return out;
}

}  // namespace kiln::registry::server
