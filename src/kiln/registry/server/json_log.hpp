// The registry server's logs: one JSON object per line on stderr (access lines, errors, gc
// runs), so log shippers need no parser of their own.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace kiln::registry::server {

// Adds "time" and "level" to fields and writes the line atomically (one write).
void json_log(std::string_view level, nlohmann::json fields);

}  // namespace kiln::registry::server
