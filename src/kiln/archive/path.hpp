// Lexical path cleaning for names that come from archives (untrusted).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::archive {

// Cleans an archive member name as if it were rooted at "/": drops "." and empty components,
// resolves ".." lexically without ever going above the root, and returns the components
// ("./a/../b/" -> {"b"}; "../../etc" -> {"etc"}; "/" -> {}).
std::vector<std::string> clean_components(std::string_view name);
// The components joined with "/" (no leading or trailing slash); "" for the root.
std::string clean_path(std::string_view name);
// True if the raw name would leave the root when taken literally (absolute or with "..").
bool escapes_root(std::string_view name);

}  // namespace kiln::archive
