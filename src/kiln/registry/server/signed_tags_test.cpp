#include "kiln/registry/server/signed_tags.hpp"

#include <gtest/gtest.h>

namespace kiln::registry::server {
namespace {

TEST(SignedTags, SignatureTagsAreRecognisedExactly) {
  std::string hex(64, 'a');
  EXPECT_TRUE(is_signature_tag("sha256-" + hex));
  EXPECT_TRUE(is_signature_tag("sha256-" + hex + ".sig"));
  EXPECT_TRUE(is_signature_tag("sha256-" + hex + ".att"));
  EXPECT_TRUE(is_signature_tag("sha256-" + hex + ".sbom"));
  EXPECT_FALSE(is_signature_tag("sha256-" + hex + ".sig2"));
  EXPECT_FALSE(is_signature_tag("sha256-" + std::string(63, 'a') + ".sig"));
  EXPECT_FALSE(is_signature_tag("sha256-" + std::string(64, 'A')));
  EXPECT_FALSE(is_signature_tag("latest"));
}

TEST(SignedTags, RulesMatchRepositoriesByGlob) {
  std::vector<SignedRule> rules{{"prod/*", {}, {}}, {"exact", {}, {}}};
  EXPECT_EQ(signed_rule(rules, "prod/app"), &rules[0]);
  EXPECT_EQ(signed_rule(rules, "prod/team/app"), &rules[0]);  // '*' crosses '/'
  EXPECT_EQ(signed_rule(rules, "exact"), &rules[1]);
  EXPECT_EQ(signed_rule(rules, "dev/app"), nullptr);
}

}  // namespace
}  // namespace kiln::registry::server
