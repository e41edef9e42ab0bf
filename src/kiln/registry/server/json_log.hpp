// The registry server's logs: one JSON object per line on stderr (access lines, errors, gc
// runs), so log shippers need no parser of their own.
#pragma once

#include <string_view>
#include "kiln/registry/server/json_codec.hpp"

namespace kiln::registry::server {

// Adds "time" and "level" to fields and writes the line atomically (one write).
void json_log(std::string_view level, LogFields fields);

}  // namespace kiln::registry::server
