// The OCI distribution spec's error codes, and the one table that maps each to its HTTP
// status and message (distribution-spec "Error Codes"; DESIGN.md habit 7).
#pragma once

#include <string>
#include <string_view>

namespace kiln::registry::server {

enum class Code {
  blob_unknown,
  blob_upload_invalid,
  blob_upload_unknown,
  digest_invalid,
  manifest_blob_unknown,
  manifest_invalid,
  manifest_unknown,
  name_invalid,
  name_unknown,
  size_invalid,
  unauthorized,
  denied,
  unsupported,
  too_many_requests,
  range_invalid,  // 416 on an out-of-order chunk; the body uses BLOB_UPLOAD_INVALID
  too_large,      // 413; the body uses SIZE_INVALID
  tag_immutable,  // 409; the body uses DENIED
  internal,
};

struct CodeInfo {
  std::string_view name;  // as it appears in the JSON body
  int status;
  std::string_view message;
};

const CodeInfo& code_info(Code c);

// {"errors":[{"code":..,"message":..,"detail":..}]}; detail is a JSON string when not empty.
std::string error_body(Code c, std::string_view detail);

}  // namespace kiln::registry::server
