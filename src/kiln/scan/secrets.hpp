// Secret detection: credentials in an image's files (every layer's, including files a later
// layer deletes: they are still in the image's bytes) and in its config (Env, Labels,
// history). Findings name the layer, path, line and rule, and carry a masked value, never the
// secret itself.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::oci {
struct ImageConfig;
}

namespace kiln::scan {

struct SecretRule {
  std::string id, title;
  std::string severity = "HIGH";  // CRITICAL, HIGH, MEDIUM, LOW
  // The rule is tried only where one of these appears (case-sensitive): a fast pre-filter.
  std::vector<std::string> keywords;
  std::string regex;  // ECMAScript syntax
  bool icase = false;
  // The capture that is the secret (0: the whole match); when it did not take part in the
  // match, the first capture that did (a regex with alternatives).
  int group = 0;
  double min_entropy = 0;  // Shannon bits per character the secret must reach (0: no check)
  bool mask = true;        // false when the match is a marker, not the secret (a PEM header)
  std::shared_ptr<const std::regex> compiled;
};

// Compiles a rule's regex; invalid_argument naming the rule when it does not compile.
Status compile(SecretRule& rule);

// The built-in rules: AWS access key IDs and secret keys, GCP service-account keys, Azure
// storage keys, PEM/OpenSSH/PGP private keys, GitHub, GitLab, Slack, Stripe, npm and PyPI
// tokens, JWTs, and password/secret/token assignments with an entropy check.
std::vector<SecretRule> builtin_secret_rules();

struct SecretFinding {
  std::string rule, title, severity;
  int layer = -1;    // index of the layer holding the file; -1 for the image config
  std::string path;  // "/etc/app.conf", or "config Env", "config Labels", "history 3"
  int line = 0;      // 1-based
  std::string masked;
  // A later layer deletes or replaces the file: it is not in the final image's filesystem,
  // but its bytes still ship in the layer.
  bool removed = false;
};

class SecretScanner {
 public:
  explicit SecretScanner(std::vector<SecretRule> rules) : m_rules(std::move(rules)) {}

  // Files larger than this are not read (a credential file is small).
  static constexpr int64_t k_max_file_bytes = 1 << 20;
  // Whether a file at `path` (relative, cleaned) of `size` bytes is worth reading.
  bool wants(std::string_view path, int64_t size) const;
  void scan_file(int layer, std::string_view path, std::string_view content);
  // A whiteout in `layer`: `path` and everything under it are gone from the image.
  void remove(int layer, std::string_view path);
  void scan_config(const oci::ImageConfig& config);

  const std::vector<SecretFinding>& findings() const { return m_findings; }

 private:
  void scan_text(int layer, const std::string& where, std::string_view text, int line_offset);
  std::vector<SecretRule> m_rules;
  std::vector<SecretFinding> m_findings;
};

// "AKIA************" style: the first characters (a token's type prefix) and a fixed run of
// stars, so neither the secret nor its length shows.
std::string mask_secret(std::string_view secret);
double shannon_entropy(std::string_view s);

}  // namespace kiln::scan
