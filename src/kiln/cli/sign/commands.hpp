// What the kiln-sign helper runs for each signing command (signing_cli.hpp defines the
// command lines).
#pragma once

#include "kiln/cli/signing_cli.hpp"

namespace kiln::cli {

Status generate_key(Context& ctx, const KeyArgs& a);
Status sign_image(Context& ctx, const SignArgs& a);
Status verify(Context& ctx, const VerifyArgs& a);
Status attach(Context& ctx, const AttachArgs& a);
Status tree(Context& ctx, const TreeArgs& a);

}  // namespace kiln::cli
