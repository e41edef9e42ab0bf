// Base images: moving tags, missing digest pins, registries outside the trusted list, and a
// compiler toolchain image as the base of what ships.
#include "kiln/base/strings.hpp"
#include "kiln/lint/checker.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/oci/reference.hpp"

namespace kiln::lint::detail {

namespace {

bool trusted(const oci::Reference& ref, const std::vector<std::string>& list) {
  std::string name = ref.name();
  for (std::string t : list) {
    while (t.ends_with('/')) t.pop_back();
    if (t == "docker.io" || t.starts_with("docker.io/") || t.find('.') != std::string::npos ||
        t.find(':') != std::string::npos || t == "localhost") {
      if (name == t || name.starts_with(t + "/")) return true;
    }
  }
  return false;
}

// Images that are a compiler toolchain: the build belongs in a stage that does not ship.
bool toolchain_image(const oci::Reference& ref) {
  std::string_view path = ref.path;
  std::string_view repo = path.substr(path.rfind('/') + 1);
  static constexpr std::string_view k_images[] = {
      "golang", "rust",           "gcc",   "maven",   "gradle",
      "swift",  "buildpack-deps", "clang", "haskell", "elixir"};
  for (auto i : k_images)
    if (repo == i) return true;
  return (repo == "openjdk" || repo == "eclipse-temurin" || repo == "amazoncorretto") &&
         ref.tag.find("jre") == std::string::npos;
}

std::string replace_first(std::string line, std::string_view what, std::string_view with) {
  auto p = line.find(what);
  if (p == std::string::npos) return "";
  return line.replace(p, what.size(), with);
}

// BuildKit's InvalidBaseImagePlatform: the base image's OS and architecture against the
// stage's platform (FROM --platform, else this machine's).
void platform_check(Checker& c, const StageInfo& info, const BaseImage& local) {
  const auto& st = *info.stage;
  oci::Platform want = oci::host_platform();
  if (!st.from.platform.empty()) {
    dockerfile::Lexer lex(c.df.escape);
    auto w = lex.process_word(st.from.platform, c.meta_defaults);
    if (!w || w->find('$') != std::string::npos) return;
    auto p = oci::parse_platform(*w);
    if (!p) return;
    want = *p;
  }
  auto have = oci::parse_platform(local.platform);
  if (!have) return;
  if (have->os == want.os && have->architecture == want.architecture) return;
  std::string expected = oci::platform_string(oci::normalize(want));
  std::string actual = oci::platform_string(oci::normalize(*have));
  c.emit("InvalidBaseImagePlatform", st.line, st.column,
         fmt::format("Base image {} was pulled with platform \"{}\", expected \"{}\" for current "
                     "build",
                     info.base, actual, expected),
         fmt::format("pull the {} variant (kiln pull --platform {} {}), or set FROM --platform",
                     expected, expected, info.base));
}

}  // namespace

void check_base_images(Checker& c) {
  for (const auto& info : c.stages) {
    const auto& st = *info.stage;
    if (info.base_stage >= 0 || to_lower(info.base) == "scratch") continue;
    if (info.base.find('$') != std::string::npos) continue;
    auto ref = oci::Reference::parse(info.base, false);
    if (!ref) continue;  // the build reports it
    std::optional<BaseImage> local;
    if (c.in.base_image && (c.wants("BaseImageLatest") || c.wants("BaseImageNotPinned") ||
                            c.wants("InvalidBaseImagePlatform")))
      local = c.in.base_image(info.base);
    if (local && !local->platform.empty()) platform_check(c, info, *local);
    std::string pinned = local && !local->digest.empty() && !ref->digest
                             ? info.base + "@" + local->digest
                             : info.base + "@sha256:<digest>";
    bool literal = st.from.base == info.base;  // written without ARGs: the line can be rewritten
    std::string repl =
        literal ? replace_first(std::string(c.source_line(st.line)), info.base, pinned) : "";
    if (!ref->digest && (ref->tag.empty() || ref->tag == "latest")) {
      std::string versioned = ref->tag.empty()
                                  ? info.base + ":<version>"
                                  : info.base.substr(0, info.base.size() - 7) + ":<version>";
      c.emit("BaseImageLatest", st.line, st.column,
             ref->tag.empty()
                 ? fmt::format("Base image '{}' has no tag: it means latest, which moves to new "
                               "content without notice",
                               info.base)
                 : fmt::format("Base image '{}' uses the tag latest, which moves to new content "
                               "without notice",
                               info.base),
             fmt::format("pin a version and its digest: FROM {}@sha256:<digest>", versioned));
    } else if (!ref->digest) {
      c.emit("BaseImageNotPinned", st.line, st.column,
             fmt::format("Base image '{}' is not pinned by digest: the tag can move to different "
                         "content",
                         info.base),
             fmt::format("pin the digest: FROM {}", pinned), local && literal ? repl : "");
    }
    if (!c.cfg.trusted_registries.empty() && !trusted(*ref, c.cfg.trusted_registries))
      c.emit("UntrustedRegistry", st.line, st.column,
             fmt::format("Base image '{}' comes from {}, which is not in trusted-registries ({})",
                         info.base, ref->domain, join(c.cfg.trusted_registries, ", ")),
             "use an image from a trusted registry (or mirror this one there)");
  }
  if (c.target < 0 || !c.wants("ToolchainInFinalStage")) return;
  int s = c.target;
  while (c.stages[static_cast<size_t>(s)].base_stage >= 0)
    s = c.stages[static_cast<size_t>(s)].base_stage;
  const auto& root = c.stages[static_cast<size_t>(s)];
  auto ref = oci::Reference::parse(root.base, false);
  if (ref && toolchain_image(*ref))
    c.emit("ToolchainInFinalStage", root.stage->line, root.stage->column,
           fmt::format("The final image is based on {}, a compiler toolchain image: the compiler "
                       "and its libraries ship with the program",
                       root.base),
           fmt::format("build in a stage (FROM {} AS build) and COPY --from=build only the "
                       "result into a small runtime base (distroless, alpine, debian-slim)",
                       root.base));
}

}  // namespace kiln::lint::detail
