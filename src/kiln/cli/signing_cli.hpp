// The command lines of kiln key generate, sign, verify, attach and tree. kiln defines them (for
// --help and checking) and hands the commands over with exec to the kiln-sign helper, which
// defines them again and runs them: signing links OpenSSL's EVP and EC code and libsodium, whose
// relocations and tables would otherwise cost every kiln start about 2 ms.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kiln/cli/context.hpp"
#include "kiln/cli/transfer.hpp"

namespace kiln::cli {

struct KeyArgs {
  std::string prefix = "cosign";
  bool force = false;
};
struct SignArgs {
  std::string key, ref, mode = "legacy";
  std::vector<std::string> annotations;
  RegistryFlags reg;
};
struct VerifyArgs {
  std::vector<std::string> keys;
  std::string ref, format = "json";
  bool quiet = false;
  RegistryFlags reg;
};
struct AttachArgs {
  std::string kind, predicate, type, key, ref;
  RegistryFlags reg;
};
struct TreeArgs {
  std::string ref, format = "text";
  RegistryFlags reg;
};

struct SigningHandlers {
  std::function<Status(Context&, const KeyArgs&)> key;
  std::function<Status(Context&, const SignArgs&)> sign;
  std::function<Status(Context&, const VerifyArgs&)> verify;
  std::function<Status(Context&, const AttachArgs&)> attach;
  std::function<Status(Context&, const TreeArgs&)> tree;
};
void define_signing(CLI::App& app, Context& ctx, SigningHandlers h);

// The password for a private key: $KILN_PASSWORD, else $COSIGN_PASSWORD, else asked on the
// terminal (twice when `confirm`).
Result<std::string> key_password(bool confirm);

}  // namespace kiln::cli
