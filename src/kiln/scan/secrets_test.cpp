#include "kiln/scan/secrets.hpp"

#include <gtest/gtest.h>

#include "kiln/oci/types.hpp"
#include "kiln/scan/secrets_json.hpp"

namespace kiln::scan {
namespace {

// Samples in each rule's format; none is a live credential (AWS's documented example key,
// made-up tokens of the right shape).
std::vector<SecretFinding> scan(std::string_view text, std::string path = "etc/app.conf") {
  SecretScanner s(builtin_secret_rules());
  s.scan_file(0, path, text);
  return s.findings();
}

std::vector<std::string> rules_of(const std::vector<SecretFinding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.rule);
  return out;
}

TEST(Secrets, BuiltinRulesCompile) {
  for (const auto& r : builtin_secret_rules()) EXPECT_TRUE(r.compiled) << r.id;
}

TEST(Secrets, FindsEachFormatAndMasksIt) {
  auto f = scan(
      "# keys\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
  ASSERT_EQ(rules_of(f), (std::vector<std::string>{"aws-access-key-id", "aws-secret-access-key"}));
  EXPECT_EQ(f[0].line, 2);
  EXPECT_EQ(f[0].path, "/etc/app.conf");
  EXPECT_EQ(f[0].masked, "AKIA************");
  EXPECT_EQ(f[1].line, 3);
  EXPECT_EQ(f[1].masked.find("EXAMPLEKEY"), std::string::npos);  // never the secret
  EXPECT_EQ(rules_of(scan("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt\n")),
            std::vector<std::string>{"private-key"});
  EXPECT_EQ(rules_of(scan("-----BEGIN RSA PRIVATE KEY-----\n")),
            std::vector<std::string>{"private-key"});
  EXPECT_EQ(rules_of(scan("token: ghp_" + std::string(36, 'a') + "\n")),
            (std::vector<std::string>{"github-token"}));
  EXPECT_EQ(rules_of(scan("GITLAB=glpat-abcdefghij0123456789\n")),
            std::vector<std::string>{"gitlab-token"});
  EXPECT_EQ(rules_of(scan("x = 'xoxb-1234567890-abcdefghij'\n")),
            std::vector<std::string>{"slack-token"});
  EXPECT_EQ(rules_of(scan("STRIPE=sk_live_" + std::string(24, '4') + "\n")),
            std::vector<std::string>{"stripe-secret-key"});
  EXPECT_EQ(rules_of(scan("//registry.npmjs.org/:_authToken=npm_" + std::string(36, 'Z') + "\n")),
            std::vector<std::string>{"npm-token"});
  EXPECT_EQ(rules_of(scan("{\"type\": \"service_account\", \"private_key_id\": \"" +
                          std::string(40, 'a') + "\"}")),
            std::vector<std::string>{"gcp-service-account"});
  EXPECT_EQ(rules_of(scan("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" +
                          std::string(86, 'k') + "==;\n")),
            std::vector<std::string>{"azure-storage-account-key"});
  EXPECT_EQ(rules_of(scan("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
                          "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\n")),
            std::vector<std::string>{"jwt"});
}

TEST(Secrets, PasswordAssignmentsNeedEntropyAndNoPlaceholder) {
  EXPECT_EQ(rules_of(scan("DB_PASSWORD=Zx8kQ2!vLm9pR\n")),
            std::vector<std::string>{"password-assignment"});
  EXPECT_TRUE(scan("password=aaaaaaaaaaaa\n").empty());    // no entropy
  EXPECT_TRUE(scan("password=${DB_PASSWORD}\n").empty());  // a variable
  EXPECT_TRUE(scan("password: <your password here>\n").empty());
  EXPECT_TRUE(scan("secret = changeme12345\n").empty());
  EXPECT_TRUE(scan("token = get_token()\n").empty());
  EXPECT_TRUE(scan("my @passwd = getpwnam($user);\n").empty());               // code, not a value
  EXPECT_TRUE(scan("passwd: elevated-privileges 4755 root/root\n").empty());  // unquoted after ':'
  EXPECT_EQ(rules_of(scan("api_key: 'Q9x!mZ2#rT7vK4pW'\n")),
            std::vector<std::string>{"password-assignment"});
  EXPECT_EQ(rules_of(scan("{\"secretKey\": \"Q9xmZ2rT7vK4pW8n\"}\n")),
            std::vector<std::string>{"password-assignment"});
}

TEST(Secrets, BinariesDocsAndBigFilesAreSkipped) {
  std::string bin = std::string(
                        "\x7f"
                        "ELF\0\0",
                        6) +
                    "AKIAIOSFODNN7EXAMPLE";
  EXPECT_TRUE(scan(bin).empty());
  SecretScanner s(builtin_secret_rules());
  EXPECT_FALSE(s.wants("usr/share/doc/openssl/demo.key", 100));
  EXPECT_FALSE(s.wants("etc/big", SecretScanner::k_max_file_bytes + 1));
  EXPECT_TRUE(s.wants("etc/app.conf", 100));
}

TEST(Secrets, DeletedOrReplacedLaterStillReported) {
  SecretScanner s(builtin_secret_rules());
  s.scan_file(0, "root/.aws/credentials", "AKIAIOSFODNN7EXAMPLE\n");
  s.scan_file(0, "etc/keep", "AKIAIOSFODNN7EXAMPLE\n");
  s.remove(1, "root/.aws");  // RUN rm -rf /root/.aws
  ASSERT_EQ(s.findings().size(), 2u);
  EXPECT_TRUE(s.findings()[0].removed);
  EXPECT_FALSE(s.findings()[1].removed);
  s.scan_file(2, "etc/keep", "clean now\n");  // replaced
  EXPECT_TRUE(s.findings()[1].removed);
}

TEST(Secrets, ConfigEnvLabelsHistory) {
  oci::ImageConfig c;
  c.config.emplace();
  c.config->env = {"PATH=/usr/bin", "GITHUB_TOKEN=ghp_" + std::string(36, 'b')};
  c.history.push_back({});
  c.history.back().created_by = "RUN echo AKIAIOSFODNN7EXAMPLE > /x";
  SecretScanner s(builtin_secret_rules());
  s.scan_config(c);
  ASSERT_EQ(s.findings().size(), 2u);
  EXPECT_EQ(s.findings()[0].path, "config Env");
  EXPECT_EQ(s.findings()[0].line, 2);
  EXPECT_EQ(s.findings()[0].layer, -1);
  EXPECT_EQ(s.findings()[1].path, "history 0");
}

TEST(Secrets, ConfigFileAddsAndDisablesRules) {
  auto rules = apply_secret_config(
      R"js({"disable": ["jwt"], "rules": [{"id": "acme", "title": "ACME key", "severity": "low",
          "regex": "acme_([a-z0-9]{8})", "group": 1, "keywords": ["acme_"]}]})js",
      builtin_secret_rules());
  ASSERT_TRUE(rules) << rules.error().message();
  SecretScanner s(*rules);
  s.scan_file(
      0, "a",
      "k=acme_abcd1234 eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmN\n");
  ASSERT_EQ(s.findings().size(), 1u);
  EXPECT_EQ(s.findings()[0].rule, "acme");
  EXPECT_EQ(s.findings()[0].severity, "LOW");
  auto bad = apply_secret_config(R"js({"rules": [{"id": "x", "regex": "(", "keywords": ["x"]}]})js",
                                 builtin_secret_rules());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("invalid regex"), std::string::npos);
  EXPECT_FALSE(apply_secret_config(R"({"disable": ["nosuch"]})", builtin_secret_rules()));
  EXPECT_FALSE(
      apply_secret_config(R"({"rules": [{"id": "y", "regex": "y"}]})", builtin_secret_rules()));
}

}  // namespace
}  // namespace kiln::scan
