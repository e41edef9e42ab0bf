// Names a client sends: repository names, tags, references (distribution-spec "Pulling
// manifests": the <name> and <reference> grammars).
#pragma once

#include <string_view>

namespace kiln::registry::server {

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*, at most 255
// characters in all.
bool valid_repository(std::string_view name);
// [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
bool valid_tag(std::string_view tag);

}  // namespace kiln::registry::server
