// Media-type conversion between OCI and Docker v2 schema 2 documents. Only media types change;
// callers re-serialise and re-hash the result (it is a new document). zstd layers have no
// Docker equivalent and make to_docker() fail with Errc::unsupported.
#pragma once

#include "kiln/base/error.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::oci {

enum class Format { oci, docker };

Result<std::string> convert_layer_media_type(std::string_view media_type, Format to);
Result<Manifest> convert(const Manifest& m, Format to);
Result<Index> convert(const Index& x, Format to);

}  // namespace kiln::oci
