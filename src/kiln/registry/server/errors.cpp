#include "kiln/registry/server/errors.hpp"

#include "kiln/registry/server/json_codec.hpp"

#include <array>

namespace kiln::registry::server {

namespace {
constexpr std::array<CodeInfo, 18> k_codes{{
    {"BLOB_UNKNOWN", 404, "blob unknown to registry"},
    {"BLOB_UPLOAD_INVALID", 400, "blob upload invalid"},
    {"BLOB_UPLOAD_UNKNOWN", 404, "blob upload unknown to registry"},
    {"DIGEST_INVALID", 400, "provided digest did not match uploaded content"},
    {"MANIFEST_BLOB_UNKNOWN", 400, "manifest references a manifest or blob unknown to registry"},
    {"MANIFEST_INVALID", 400, "manifest invalid"},
    {"MANIFEST_UNKNOWN", 404, "manifest unknown to registry"},
    {"NAME_INVALID", 400, "invalid repository name"},
    {"NAME_UNKNOWN", 404, "repository name not known to registry"},
    {"SIZE_INVALID", 400, "provided length did not match content length"},
    {"UNAUTHORIZED", 401, "authentication required"},
    {"DENIED", 403, "requested access to the resource is denied"},
    {"UNSUPPORTED", 405, "the operation is unsupported"},
    {"TOOMANYREQUESTS", 429, "too many requests"},
    {"BLOB_UPLOAD_INVALID", 416, "requested range not satisfiable"},
    {"SIZE_INVALID", 413, "content too large"},
    {"DENIED", 409, "the tag is immutable"},
    {"UNKNOWN", 500, "internal server error"},
}};
}  // namespace

const CodeInfo& code_info(Code c) {
  return k_codes[static_cast<size_t>(c)];
}

std::string error_body(Code c, std::string_view detail) {
  const auto& info = code_info(c);
  return error_json(info.name, info.message, detail);
}

}  // namespace kiln::registry::server
