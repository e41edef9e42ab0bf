// Random identifiers from the kernel's getrandom(2).
#pragma once

#include <cstddef>
#include <string>

namespace kiln::os {

// `bytes` random bytes as lower-case hex (2 * bytes characters).
std::string random_hex(size_t bytes);

// A random (version 4) UUID in its canonical text form, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
std::string random_uuid();

}  // namespace kiln::os
