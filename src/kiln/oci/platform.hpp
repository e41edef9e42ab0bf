// Platforms "os/arch[/variant]": parsing, normalisation (x86_64 -> amd64, aarch64 -> arm64,
// arm64/v8 -> arm64, armhf -> arm/v7, ...) and matching, as containerd's platforms package does.
#pragma once

#include <string>
#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::oci {

Result<Platform> parse_platform(std::string_view s);
Platform normalize(Platform p);
std::string platform_string(const Platform& p);  // "linux/arm/v7"
// True if an image for `have` runs where `want` is asked for (after normalisation).
bool platform_matches(const Platform& want, const Platform& have);
// The platform an image config declares (normalised).
Platform platform_of(const ImageConfig& c);
// The image of an index for `want`; Errc::not_found lists the platforms the index has.
Result<Descriptor> select_platform(const Index& index, const Platform& want);
// The platform of this machine (normalised).
Platform host_platform();

}  // namespace kiln::oci
