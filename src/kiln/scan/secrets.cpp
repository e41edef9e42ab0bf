#include "kiln/scan/secrets.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <set>

#include "kiln/base/strings.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::scan {

namespace {

SecretRule rule(std::string id, std::string title, std::string severity,
                std::vector<std::string> keywords, std::string regex, int group = 0) {
  SecretRule r;
  r.id = std::move(id);
  r.title = std::move(title);
  r.severity = std::move(severity);
  r.keywords = std::move(keywords);
  r.regex = std::move(regex);
  r.group = group;
  return r;
}

// Where documentation and examples live: keys there are samples, not credentials.
bool sample_path(std::string_view p) {
  for (std::string_view prefix : {"usr/share/doc/", "usr/share/man/", "usr/share/info/",
                                  "usr/share/locale/", "usr/share/zoneinfo/", "usr/include/"})
    if (p.starts_with(prefix)) return true;
  return false;
}

// A value that names a secret rather than being one: "${TOKEN}", "$PASSWORD", "<password>",
// "%(password)s", "{{ .Token }}", "changeme"-style placeholders.
bool placeholder(std::string_view v) {
  if (v.empty()) return true;
  if (v.front() == '$' || v.front() == '<' || v.front() == '%' || v.front() == '{') return true;
  if (v.find("${") != std::string_view::npos || v.find("{{") != std::string_view::npos) return true;
  std::string lower = to_lower(v);
  for (std::string_view word : {"changeme", "example", "password", "xxxxxx", "******", "dummy",
                                "placeholder", "redacted", "your_", "your-"})
    if (lower.find(word) != std::string::npos) return true;
  return false;
}

}  // namespace

Status compile(SecretRule& r) {
  if (r.id.empty()) return fail(Errc::invalid_argument, "secret rule without an id");
  try {
    auto flags = std::regex::ECMAScript | std::regex::optimize;
    if (r.icase) flags |= std::regex::icase;
    r.compiled = std::make_shared<const std::regex>(r.regex, flags);
  } catch (const std::regex_error& e) {
    return failf(Errc::invalid_argument, "secret rule {}: invalid regex \"{}\": {}", r.id, r.regex,
                 e.what());
  }
  if (r.group < 0 || static_cast<size_t>(r.group) > r.compiled->mark_count())
    return failf(Errc::invalid_argument, "secret rule {}: the regex has no group {}", r.id,
                 r.group);
  if (r.keywords.empty())
    return failf(Errc::invalid_argument, "secret rule {}: no keywords (the pre-filter)", r.id);
  return {};
}

std::vector<SecretRule> builtin_secret_rules() {
  std::vector<SecretRule> rules{
      rule("aws-access-key-id", "AWS access key ID", "CRITICAL", {"AKIA", "ASIA", "ABIA", "ACCA"},
           R"re(\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b)re", 1),
      rule(
          "aws-secret-access-key", "AWS secret access key", "CRITICAL",
          {"ecret_access_key", "ECRET_ACCESS_KEY", "ecretAccessKey", "aws_secret"},
          R"re((?:secret_?access_?key|aws_secret)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+]))re",
          1),
      rule("gcp-service-account", "GCP service account key", "CRITICAL", {"private_key_id"},
           R"re("private_key_id"\s*:\s*"([a-f0-9]{40})")re", 1),
      rule("azure-storage-account-key", "Azure storage account key", "CRITICAL", {"AccountKey="},
           R"re(AccountKey=([A-Za-z0-9+/]{86}==))re", 1),
      rule(
          "private-key", "Private key", "HIGH", {"PRIVATE KEY"},
          R"re(-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----)re"),
      rule("github-token", "GitHub token", "CRITICAL", {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"},
           R"re(\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})\b)re", 1),
      rule("github-fine-grained-token", "GitHub fine-grained token", "CRITICAL", {"github_pat_"},
           R"re(\b(github_pat_[A-Za-z0-9_]{82})\b)re", 1),
      rule("gitlab-token", "GitLab personal access token", "CRITICAL", {"glpat-"},
           R"re((glpat-[A-Za-z0-9_\-]{20,}))re", 1),
      rule("slack-token", "Slack token", "HIGH", {"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"},
           R"re(\b(xox[baprs]-[A-Za-z0-9-]{10,72}))re", 1),
      rule("slack-webhook", "Slack incoming webhook", "MEDIUM", {"hooks.slack.com"},
           R"re((https://hooks\.slack\.com/services/[A-Za-z0-9/]{40,60}))re", 1),
      rule("stripe-secret-key", "Stripe secret key", "CRITICAL", {"_live_"},
           R"re(\b((?:sk|rk)_live_[A-Za-z0-9]{24,99})\b)re", 1),
      rule("npm-token", "npm access token", "CRITICAL", {"npm_"},
           R"re(\b(npm_[A-Za-z0-9]{36})\b)re", 1),
      rule("pypi-token", "PyPI upload token", "CRITICAL", {"pypi-AgEIcHlwaS5vcmc"},
           R"re((pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}))re", 1),
      rule("jwt", "JSON Web Token", "MEDIUM", {"eyJ"},
           R"re(\b(eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}))re", 1),
  };
  SecretRule pw = rule(
      "password-assignment", "Password or secret in an assignment", "HIGH",
      {"password", "Password", "PASSWORD", "passwd", "PASSWD", "secret", "Secret", "SECRET",
       "api_key", "API_KEY", "apikey", "ApiKey", "token", "Token", "TOKEN"},
      // KEY: "value", KEY = 'value', or KEY=value (unquoted only after "=", and not a call).
      R"re((?:[Pp]ass(?:word|wd)|PASS(?:WORD|WD)|[Ss]ecret|SECRET|[Aa]pi_?[Kk]ey|API_?KEY|[Tt]oken|TOKEN)\w*["']?\s*(?:[:=]\s*["']([^"'\s]{8,128})["']|=\s*([^\s"'#;,()<>{}\[\]\\$]{8,128})(?![(\w])))re",
      1);
  // The spellings are in the regex (case-insensitive matching costs a locale lookup per
  // character in std::regex).
  pw.min_entropy = 3.0;
  rules.push_back(std::move(pw));
  for (auto& r : rules) {
    if (r.id == "private-key") r.mask = false;
    (void)compile(r);  // the built-in ones compile (unit-tested)
  }
  return rules;
}

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<int, 256> count{};
  for (unsigned char c : s) ++count[c];
  double h = 0;
  for (int c : count)
    if (c) {
      double p = static_cast<double>(c) / static_cast<double>(s.size());
      h -= p * std::log2(p);
    }
  return h;
}

std::string mask_secret(std::string_view s) {
  size_t keep = s.size() >= 16 ? 4 : 0;
  return std::string(s.substr(0, keep)) + std::string(12, '*');
}

bool SecretScanner::wants(std::string_view path, int64_t size) const {
  return !m_rules.empty() && size > 0 && size <= k_max_file_bytes && !sample_path(path);
}

void SecretScanner::scan_file(int layer, std::string_view path, std::string_view content) {
  std::string where = "/" + std::string(path);
  // The same path in a later layer replaces the earlier file.
  for (auto& f : m_findings)
    if (f.layer >= 0 && f.layer < layer && f.path == where) f.removed = true;
  // A NUL in the first 8 KB: a binary file.
  if (content.substr(0, 8192).find('\0') != std::string_view::npos) return;
  scan_text(layer, where, content, 0);
}

void SecretScanner::remove(int layer, std::string_view path) {
  std::string gone = "/" + std::string(path);
  while (gone.size() > 1 && gone.back() == '/') gone.pop_back();
  for (auto& f : m_findings)
    if (f.layer >= 0 && f.layer < layer &&
        (f.path == gone || (f.path.starts_with(gone) && f.path[gone.size()] == '/') || gone == "/"))
      f.removed = true;
}

void SecretScanner::scan_config(const oci::ImageConfig& config) {
  if (config.config) {
    for (size_t i = 0; i < config.config->env.size(); ++i)
      scan_text(-1, "config Env", config.config->env[i], static_cast<int>(i));
    int n = 0;
    for (const auto& [k, v] : config.config->labels)
      scan_text(-1, "config Labels", k + "=" + v, n++);
  }
  for (size_t i = 0; i < config.history.size(); ++i)
    scan_text(-1, fmt::format("history {}", i), config.history[i].created_by, 0);
}

void SecretScanner::scan_text(int layer, const std::string& where, std::string_view text,
                              int line_offset) {
  for (const auto& r : m_rules) {
    if (!r.compiled) continue;
    std::set<std::pair<size_t, size_t>> seen;  // windows already searched
    for (const auto& kw : r.keywords) {
      for (size_t pos = text.find(kw); pos != std::string_view::npos;
           pos = text.find(kw, pos + 1)) {
        // The line around the keyword, at most 512 bytes either side (std::regex recurses on
        // its input: never a whole minified file).
        size_t begin = text.rfind('\n', pos);
        begin = begin == std::string_view::npos ? 0 : begin + 1;
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        begin = std::max(begin, pos > 512 ? pos - 512 : 0);
        end = std::min(end, pos + 512);
        if (!seen.emplace(begin, end).second) continue;
        // The assignment rule needs a ':' or '=' soon after its keyword: most mentions of
        // "password" or "token" in text and code have none, and skip the regex.
        if (r.min_entropy > 0) {
          auto near = text.substr(pos, std::min<size_t>(64, end - pos));
          if (near.find_first_of(":=") == std::string_view::npos) continue;
        }
        std::string window(text.substr(begin, end - begin));
        for (std::sregex_iterator it(window.begin(), window.end(), *r.compiled), stop; it != stop;
             ++it) {
          // A rule with alternatives captures the secret in whichever group matched.
          size_t g = static_cast<size_t>(r.group);
          for (size_t k = 1; g > 0 && !(*it)[g].matched && k < it->size(); ++k)
            if ((*it)[k].matched) g = k;
          std::string secret = (*it)[g].str();
          if (r.min_entropy > 0 && (shannon_entropy(secret) < r.min_entropy || placeholder(secret)))
            continue;
          size_t at = begin + static_cast<size_t>(it->position(g));
          int line = line_offset + 1 +
                     static_cast<int>(
                         std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(at), '\n'));
          // One finding per rule and line; the generic assignment rule (entropy-checked)
          // only where no specific rule matched the line.
          bool dup = false;
          for (const auto& f : m_findings)
            dup |= f.layer == layer && f.path == where && f.line == line &&
                   (f.rule == r.id || r.min_entropy > 0);
          if (dup) continue;
          m_findings.push_back({r.id, r.title, r.severity, layer, where, line,
                                r.mask ? mask_secret(secret) : secret, false});
        }
      }
    }
  }
}

}  // namespace kiln::scan
