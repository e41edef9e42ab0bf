#include "kiln/cli/signature_policy.hpp"

#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "kiln/cli/helpers.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::cli {

void add_policy_flags(CLI::App* c, PolicyFlags& f) {
  c->add_option("--policy", f.file,
                "Signature policy file (default ~/.config/kiln/policy.yaml when it exists)");
  c->add_flag("--insecure-ignore-policy", f.ignore,
              "Do not check signatures the policy requires (prints a warning)");
}

Result<SignaturePolicy> parse_signature_policy(const std::string& text, const std::string& file) {
  auto bad = [&](std::string_view why) {
    return failf(Errc::invalid_argument,
                 "{}: {} (want rules: [{{match: GLOB, require: "
                 "signed|none, keys: [FILE...]}}])",
                 file, why);
  };
  SignaturePolicy p{file, {}};
  std::string dir = file.find('/') == std::string::npos ? "." : file.substr(0, file.rfind('/'));
  try {
    YAML::Node y = YAML::Load(text);
    if (!y.IsDefined() || y.IsNull()) return p;
    if (!y.IsMap()) return bad("the top level is not a mapping");
    for (const auto& kv : y)
      if (kv.first.as<std::string>() != "rules")
        return bad("unknown key " + kv.first.as<std::string>());
    const YAML::Node& rules = y["rules"];
    if (rules.IsNull()) return p;
    if (!rules.IsSequence()) return bad("rules is not a list");
    for (const auto& r : rules) {
      if (!r.IsMap()) return bad("a rule is not a mapping");
      PolicyRule rule;
      for (const auto& kv : r) {
        std::string k = kv.first.as<std::string>();
        if (k == "match") {
          rule.match = kv.second.as<std::string>();
        } else if (k == "require") {
          std::string v = kv.second.as<std::string>();
          if (v != "signed" && v != "none") return bad("require: " + v);
          rule.require_signed = v == "signed";
        } else if (k == "keys") {
          if (!kv.second.IsSequence()) return bad("keys is not a list");
          for (const auto& f : kv.second) {
            std::string path = f.as<std::string>();
            rule.keys.push_back(path.starts_with("/") ? path : dir + "/" + path);
          }
        } else {
          return bad("unknown rule key " + k);
        }
      }
      if (rule.match.empty()) return bad("a rule has no match");
      if (rule.require_signed && rule.keys.empty())
        return bad("rule \"" + rule.match + "\" requires signatures but lists no keys");
      p.rules.push_back(std::move(rule));
    }
  } catch (const YAML::Exception& e) {
    return bad(e.what());
  }
  return p;
}

Result<std::optional<SignaturePolicy>> load_signature_policy(const std::string& file) {
  std::string path = file;
  if (path.empty()) {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
      path = std::string(x) + "/kiln/policy.yaml";
    else if (const char* h = std::getenv("HOME"); h && *h)
      path = std::string(h) + "/.config/kiln/policy.yaml";
    else
      return std::optional<SignaturePolicy>();
  }
  auto text = os::read_file(path);
  if (!text && text.error().code() == Errc::not_found && file.empty())
    return std::optional<SignaturePolicy>();
  if (!text) return std::unexpected(text.error().context("signature policy"));
  return std::optional<SignaturePolicy>(KILN_TRY(parse_signature_policy(*text, path)));
}

const PolicyRule* policy_rule(const SignaturePolicy& p, const std::string& name) {
  for (const auto& r : p.rules)
    if (fnmatch(r.match.c_str(), name.c_str(), 0) == 0) return &r;
  return nullptr;
}

const PolicyRule* signed_rule(const SignaturePolicy& p, const oci::Reference& ref) {
  const PolicyRule* rule = policy_rule(p, ref.domain + "/" + ref.path);
  return rule && rule->require_signed ? rule : nullptr;
}

Status enforce_signature_policy(const SignaturePolicy& policy, const PolicyFlags& f,
                                const oci::Reference& ref, const Digest& d,
                                const RegistryFlags& reg, std::string_view what) {
  const PolicyRule* rule = signed_rule(policy, ref);
  if (!rule) return {};
  std::string name = ref.domain + "/" + ref.path;
  if (f.ignore) {
    fmt::print(stderr,
               "kiln: WARNING: --insecure-ignore-policy: {} {}@{} without checking the "
               "signature {} requires (rule \"{}\")\n",
               what, name, d, policy.file, rule->match);
    return {};
  }
  std::vector<std::string> args{"verify", "-q", "--format", "text"};
  for (const auto& k : rule->keys) args.insert(args.end(), {"--key", k});
  if (KILN_TRY(run_kiln_sign(args, reg, fmt::format("docker://{}@{}", name, d))) != 0)
    return failf(Errc::unauthorized,
                 "{} {}@{}: refused by the signature policy {} (rule \"{}\" requires a signature "
                 "by one of {} key{}; the reason is above; --insecure-ignore-policy overrides)",
                 what, name, d, policy.file, rule->match, rule->keys.size(),
                 rule->keys.size() == 1 ? "" : "s");
  return {};
}

}  // namespace kiln::cli
