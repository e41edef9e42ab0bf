// What the kiln-sign helper runs for each signing command (signing_cli.hpp defines the
// command lines).
#pragma once

#include "kiln/cli/signing_cli.hpp"

namespace kiln::cli {

Status generate_key(const KeyArgs& a);
Status sign_image(const SignArgs& a);
Status verify(const VerifyArgs& a);
Status attach(const AttachArgs& a);
Status tree(const TreeArgs& a);

}  // namespace kiln::cli
