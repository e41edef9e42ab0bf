// The parts of Context that know the local store (kiln links them; kiln-registry does not).
#include "kiln/cli/context.hpp"
#include "kiln/store/paths.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

Result<store::Store*> Context::store() {
  if (!store_ptr) store_ptr = std::shared_ptr<store::Store>(KILN_TRY(store::Store::open(root)));
  return store_ptr.get();
}

std::string default_store_root() {
  return store::paths::default_root();
}

}  // namespace kiln::cli
