// JSON codec for the types in types.hpp (the one file that knows nlohmann::json).
//
// parse_* validate what the specs require and name the offending member in the error
// ("manifest: layers[2].digest: invalid digest ..."); the raw bytes stay the caller's to keep.
// serialize_* write compact JSON with members in the order Go's structs declare them, then the
// preserved unknown members sorted by name, so equal values give equal bytes.
#pragma once

#include <string>
#include <string_view>

#include "kiln/base/error.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::oci {

Result<Manifest> parse_manifest(std::string_view json);
Result<Index> parse_index(std::string_view json);
Result<ImageConfig> parse_config(std::string_view json);
Result<Descriptor> parse_descriptor(std::string_view json);

std::string serialize(const Manifest& m);
std::string serialize(const Index& i);
std::string serialize(const ImageConfig& c);
std::string serialize(const Descriptor& d);

// The "mediaType" member of a document, or "" when absent or not a JSON object.
std::string sniff_media_type(std::string_view json);

}  // namespace kiln::oci
