#include "kiln/archive/libarchive.hpp"

#include <dlfcn.h>

#include <mutex>

namespace kiln::archive {
namespace {

Libarchive g_lib;
std::once_flag g_once;
std::string g_error;

void load() {
  void* h = ::dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = ::dlerror();
    g_error = std::string("cannot load libarchive (Debian package libarchive13): ") +
              (e ? e : "unknown error");
    return;
  }
#define KILN_LIBARCHIVE_LOAD(name)                                        \
  g_lib.name = reinterpret_cast<decltype(g_lib.name)>(::dlsym(h, #name)); \
  if (!g_lib.name && g_error.empty()) g_error = "libarchive lacks " #name;
  KILN_LIBARCHIVE_FUNCTIONS(KILN_LIBARCHIVE_LOAD)
#undef KILN_LIBARCHIVE_LOAD
}

}  // namespace

Result<const Libarchive*> load_libarchive() {
  std::call_once(g_once, load);
  if (!g_error.empty()) return fail(Errc::unsupported, g_error);
  return &g_lib;
}

const Libarchive& la() {
  return g_lib;
}

}  // namespace kiln::archive
