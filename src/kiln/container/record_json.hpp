// The JSON codec of a container's state.json: the one file of container/ that knows
// nlohmann::json. Read with non-throwing getters; a record missing a member is corrupt.
#pragma once

#include <string>
#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/container/containers.hpp"

namespace kiln::container {

std::string serialize_record(const ContainerRecord& c);
// `where` names the file in errors.
Result<ContainerRecord> parse_record(std::string_view text, std::string_view where);

}  // namespace kiln::container
