// Signed tags: in repositories matching a rule (`tags: {signed: {REPO_GLOB: [PUBLIC_KEY_FILE...]}}`
// in the config), a manifest PUT under a tag is accepted only once the repository holds a valid
// cosign signature for the manifest's digest by one of the rule's keys: under cosign's tag
// `sha256-<hex>.sig` or as an OCI 1.1 referrer (sign/verify.hpp says what "valid" means). The
// signature is pushed first, by digest or under its own tag, then the image's tag. Tags that are
// cosign's or the referrers fallback's own (`sha256-<64 hex>[.sig|.att|.sbom]`) need no
// signature when what they name is an artifact, not an image (signed_tags.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kiln/sign/keys.hpp"

namespace kiln::registry::server {

struct SignedRule {
  std::string repository;              // glob, '*' also crossing '/'
  std::vector<std::string> key_files;  // for messages
  std::vector<sign::Key> keys;
};

const SignedRule* signed_rule(const std::vector<SignedRule>& rules, const std::string& name);
bool is_signature_tag(std::string_view tag);

}  // namespace kiln::registry::server
