// ADD https://...: downloads for the build (libcurl lives in fetch.cpp only).
#pragma once

#include <optional>
#include <string>

#include "kiln/base/error.hpp"
#include "kiln/digest/digest.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::builder {

struct Fetched {
  std::string name;   // file name: the URL path's last component ("index.html" for "/")
  Digest digest;      // sha256 of the content
  int64_t mtime = 0;  // Last-Modified, or 0
};

// Downloads url into dir/<name>, following redirects, failing on HTTP errors, hashing as it
// streams. With `checksum` ("sha256:<hex>"), a different content is Errc::corrupt and the file
// is removed.
Result<Fetched> fetch_url(const std::string& url, const os::Dir& dir,
                          const std::optional<Digest>& checksum);

}  // namespace kiln::builder
