// The signature policy `kiln pull` and `kiln run` enforce: a YAML file (--policy FILE, else
// $XDG_CONFIG_HOME/kiln/policy.yaml or ~/.config/kiln/policy.yaml; none: everything allowed):
//
//   rules:                                  # first match wins; no match: allowed
//     - match: "registry.example.com/prod/*"   # glob over HOST/REPO, '*' also crossing '/'
//       require: signed                        # or none
//       keys: [prod.pub]                       # public keys (relative: to the file's folder)
//
// An image a `signed` rule covers must carry a cosign signature by one of the keys that
// verifies against its digest in its registry; kiln asks the kiln-sign helper (`kiln verify`)
// so that kiln itself links no signature code. --insecure-ignore-policy skips the check with a
// warning.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kiln/cli/transfer.hpp"
#include "kiln/oci/reference.hpp"

namespace kiln::cli {

struct PolicyFlags {
  std::string file;
  bool ignore = false;
};
void add_policy_flags(CLI::App* c, PolicyFlags& f);

struct PolicyRule {
  std::string match;
  bool require_signed = false;
  std::vector<std::string> keys;
};
struct SignaturePolicy {
  std::string file;
  std::vector<PolicyRule> rules;
};
Result<SignaturePolicy> parse_signature_policy(const std::string& text, const std::string& file);
// The explicit file, else the default one; nullopt when there is none.
Result<std::optional<SignaturePolicy>> load_signature_policy(const std::string& file);
const PolicyRule* policy_rule(const SignaturePolicy& p, const std::string& name);
// The rule that requires name's signature to be checked, or nullptr.
const PolicyRule* signed_rule(const SignaturePolicy& p, const oci::Reference& name);

// Refuses `what` (pull, run) of name@d unless the policy allows it.
Status enforce_signature_policy(const SignaturePolicy& p, const PolicyFlags& f,
                                const oci::Reference& name, const Digest& d,
                                const RegistryFlags& reg, std::string_view what);

}  // namespace kiln::cli
