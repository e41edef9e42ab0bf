// zstd codec internals; use compress.hpp.
#pragma once

#include <memory>

#include "kiln/io/stream.hpp"

namespace kiln::io {

Result<std::unique_ptr<Writer>> make_zstd_writer(Writer& out, int level, int threads);
Result<std::unique_ptr<Reader>> make_zstd_reader(Reader& in);

}  // namespace kiln::io
