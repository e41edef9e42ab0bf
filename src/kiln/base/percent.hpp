// Percent-encoding (RFC 3986): URL query values, package URLs.
#pragma once

#include <string>
#include <string_view>

namespace kiln {

// Every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~) as %XX, upper-case hex.
std::string percent_encode(std::string_view s);

}  // namespace kiln
