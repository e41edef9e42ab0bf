#include "kiln/registry/server/signed_tags.hpp"

#include <fnmatch.h>

#include "kiln/registry/server/layout.hpp"
#include "kiln/registry/server/service.hpp"
#include "kiln/sign/verify.hpp"

namespace kiln::registry::server {

const SignedRule* signed_rule(const std::vector<SignedRule>& rules, const std::string& name) {
  for (const auto& r : rules)
    if (fnmatch(r.repository.c_str(), name.c_str(), 0) == 0) return &r;
  return nullptr;
}

bool is_signature_tag(std::string_view tag) {
  if (!tag.starts_with("sha256-") || tag.size() < 7 + 64) return false;
  for (char c : tag.substr(7, 64))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  std::string_view rest = tag.substr(7 + 64);
  return rest.empty() || rest == ".sig" || rest == ".att" || rest == ".sbom";
}

namespace {

// The signature manifests the repository holds for d: cosign's tag, then its referrers.
std::vector<Digest> signature_manifests(const Driver& drv, const std::string& name,
                                        const Digest& d) {
  std::vector<Digest> out;
  if (auto v = drv.get(layout::tag(name, sign::cosign_tag(d))))
    if (auto tagged = Digest::parse(*v)) out.push_back(*tagged);
  if (auto refs = drv.list(layout::referrers_of(name, d))) {
    for (const auto& hex : *refs) {
      if (out.size() > sign::k_max_entries) break;
      if (auto r = Digest::parse("sha256:" + hex)) out.push_back(*r);
    }
  }
  return out;
}

// A cosign tag may carry only what cosign puts there: a manifest of signatures or attestations
// (no filesystem layer) under `.sig`/`.att`/`.sbom`, or the referrers index (every entry an
// artifact) under the bare `sha256-<hex>`. Anything else there would be a runnable image under
// a tag that escaped the rule.
bool is_artifact(std::string_view tag, std::string_view body) {
  auto a = sign::parse_artifact(body, "manifest");
  if (!a) return false;
  bool index = a->media_type == sign::k_oci_index_type;
  if (tag.size() == 7 + 64) {
    if (!index) return false;
    for (const auto& e : a->layers)
      if (e.artifact_type.empty()) return false;
    return true;
  }
  if (index) return false;
  for (const auto& l : a->layers)
    if (l.media_type.find(".tar") != std::string::npos ||
        l.media_type.find("rootfs") != std::string::npos)
      return false;
  return true;
}

}  // namespace

std::optional<Response> Service::signature_denial(const std::string& name, const std::string& tag,
                                                  const Digest& d, std::string_view body) {
  const SignedRule* rule = signed_rule(m_opt.signed_tags, name);
  if (!rule || (is_signature_tag(tag) && is_artifact(tag, body))) return std::nullopt;
  std::string why = "no signature for it is in the repository";
  for (const Digest& sd : signature_manifests(m_driver, name, d)) {
    if (!linked(layout::revision(name, sd))) continue;
    auto m = load_manifest(sd);
    if (!m) continue;
    auto art = sign::parse_artifact(*m->body, "signature manifest " + sd.str());
    if (!art) {
      why = art.error().message();
      continue;
    }
    for (const auto& layer : sign::signature_layers(*art)) {
      if (layer.size > sign::k_max_payload || !linked(layout::layer_link(name, layer.digest)))
        continue;
      auto payload = m_driver.get(layout::blob(layer.digest));
      if (!payload) continue;
      auto ok = sign::check_signature(rule->keys, layer, *payload, d);
      if (ok) return std::nullopt;
      why = ok.error().message();
    }
  }
  return error_response(
      Code::denied,
      fmt::format("{}:{} must be signed (rule tags.signed \"{}\": {} key{}): {} has no valid "
                  "signature ({}); push the signature by digest first (kiln sign), then the tag",
                  name, tag, rule->repository, rule->keys.size(), rule->keys.size() == 1 ? "" : "s",
                  d.str(), why));
}

}  // namespace kiln::registry::server
